import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { VerifiedToken } from '../verified-token.js';
import type { Verifier } from '../verifier.js';
import { createAuthorizer, Denial, type RequireTokenOptions } from './authorize.js';
import { nodeRequestSource } from './request-source.js';

declare global {
  namespace Express {
    interface Request {
      /** The verified access token, set by `requireToken`. */
      auth?: VerifiedToken;
    }
  }
}

export type { RequireTokenOptions } from './authorize.js';

/**
 * Express middleware: refuses the request with the RFC 6750 answer unless it
 * carries a valid bearer token with the required scopes, and puts the token
 * on `req.auth`.
 */
export function requireToken(options: RequireTokenOptions): RequestHandler {
  const authorize = createAuthorizer(options);
  const constraints = options.verifier.senderConstraints;
  return (req: Request, res: Response, next: NextFunction) => {
    // originalUrl: inside a router, req.url has lost the mount path the client's DPoP proof names.
    const outcome = authorize(nodeRequestSource(req, req.originalUrl, constraints));
    if (outcome instanceof Promise) {
      outcome.then((o) => finish(o, req, res, next), next);
    } else {
      finish(outcome, req, res, next);
    }
  };
}

/** Serves RFC 9728 metadata at `/.well-known/oauth-protected-resource…`; mount it before other routes. */
export function protectedResourceMetadata(verifier: Verifier): RequestHandler {
  const info = verifier.resourceMetadata;
  if (!info) throw new TypeError('the verifier has no resource configured');
  const body = JSON.stringify(info.document);
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path !== info.path || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    res.set('cache-control', 'public, max-age=300').type('application/json').send(body);
  };
}

function finish(outcome: VerifiedToken | Denial, req: Request, res: Response, next: NextFunction): void {
  if (outcome instanceof Denial) {
    res.status(outcome.status).set(outcome.headers).send(JSON.stringify(outcome.body));
    return;
  }
  req.auth = outcome;
  next();
}

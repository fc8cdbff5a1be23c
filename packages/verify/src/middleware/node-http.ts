import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VerifiedToken } from '../verified-token.js';
import type { Verifier } from '../verifier.js';
import { createAuthorizer, Denial, type RequireTokenOptions } from './authorize.js';
import { nodeRequestSource } from './request-source.js';

export type { RequireTokenOptions } from './authorize.js';

export interface NodeHttpRequireTokenOptions extends RequireTokenOptions {
  /** Called when the handler throws or rejects; by default the request gets a bare 500. */
  onError?: (err: unknown, req: IncomingMessage, res: ServerResponse) => void;
}

export type AuthenticatedHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  token: VerifiedToken,
) => void | Promise<void>;

/**
 * Wraps a `node:http` request handler: it runs only for requests with a
 * valid bearer token (passed as its third argument); the others get the
 * RFC 6750 answer.
 */
export function requireToken(
  options: NodeHttpRequireTokenOptions,
  handler: AuthenticatedHandler,
): (req: IncomingMessage, res: ServerResponse) => void {
  const check = authenticator(options);
  const onError = options.onError ?? ((_err, _req, res) => fail(res));
  return (req, res) => {
    const run = (token: VerifiedToken | undefined) => {
      if (token) return handler(req, res, token);
    };
    const report = (err: unknown) => onError(err, req, res);
    try {
      const outcome = check(req, res);
      const done = outcome instanceof Promise ? outcome.then(run) : run(outcome);
      if (done instanceof Promise) done.catch(report);
    } catch (err) {
      report(err);
    }
  };
}

/**
 * The lower-level step: returns the token, or answers the request itself and
 * returns undefined. Synchronous when no I/O is needed.
 */
export function authenticator(options: RequireTokenOptions) {
  const authorize = createAuthorizer(options);
  const constraints = options.verifier.senderConstraints;
  return (
    req: IncomingMessage,
    res: ServerResponse,
  ): VerifiedToken | undefined | Promise<VerifiedToken | undefined> => {
    const outcome = authorize(nodeRequestSource(req, req.url, constraints));
    return outcome instanceof Promise ? outcome.then((o) => settle(o, res)) : settle(outcome, res);
  };
}

/** Answers a request for the RFC 9728 metadata; returns false (and does nothing) for any other request. */
export function serveProtectedResourceMetadata(verifier: Verifier, req: IncomingMessage, res: ServerResponse): boolean {
  const info = verifier.resourceMetadata;
  if (!info || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  const q = req.url?.indexOf('?') ?? -1;
  const path = q === -1 ? req.url : req.url?.slice(0, q);
  if (path !== info.path) return false;
  const body = JSON.stringify(info.document);
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'public, max-age=300',
    'content-length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

function settle(outcome: VerifiedToken | Denial, res: ServerResponse): VerifiedToken | undefined {
  if (!(outcome instanceof Denial)) return outcome;
  const body = JSON.stringify(outcome.body);
  res.writeHead(outcome.status, { ...outcome.headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
  return undefined;
}

function fail(res: ServerResponse): void {
  // Never echo the error: answer 500 if nothing was sent yet.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ error: 'server_error', error_description: 'Internal error' }));
}

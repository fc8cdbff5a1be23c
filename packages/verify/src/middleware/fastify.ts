import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { VerifiedToken } from '../verified-token.js';
import type { Verifier } from '../verifier.js';
import { createAuthorizer, Denial, type RequireTokenOptions } from './authorize.js';
import { nodeRequestSource } from './request-source.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token, set by `requireToken`; null on routes that do not require one. */
    auth: VerifiedToken | null;
  }
}

export type { RequireTokenOptions } from './authorize.js';

export interface VerifyPluginOptions {
  verifier: Verifier;
  /** Serve RFC 9728 metadata when the verifier has a `resource` (default true). */
  serveMetadata?: boolean;
}

/**
 * Fastify plugin: declares `request.auth` and serves the RFC 9728 metadata.
 * It is not encapsulated (like fastify-plugin's), so the decoration reaches
 * the routes of the instance that registered it.
 */
export const tesseraVerify = Object.assign(
  async function tesseraVerify(app: FastifyInstance, options: VerifyPluginOptions): Promise<void> {
    if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', null);
    const info = options.verifier.resourceMetadata;
    if (info && options.serveMetadata !== false) {
      const body = JSON.stringify(info.document);
      app.get(info.path, async (_req, reply) =>
        reply.header('cache-control', 'public, max-age=300').type('application/json; charset=utf-8').send(body),
      );
    }
  },
  {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: '@tessera/verify',
  },
);

/**
 * An `onRequest` hook (`{ onRequest: requireToken({ verifier, scope }) }` on a
 * route, or `app.addHook('onRequest', …)` for a whole plugin): refuses the
 * request with the RFC 6750 answer unless it carries a valid token.
 */
export function requireToken(options: RequireTokenOptions): onRequestHookHandler {
  const authorize = createAuthorizer(options);
  const constraints = options.verifier.senderConstraints;
  return function requireTokenHook(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) {
    const outcome = authorize(nodeRequestSource(request.raw, request.raw.url, constraints));
    if (outcome instanceof Promise) {
      outcome.then((o) => finish(o, request, reply, done), done);
    } else {
      finish(outcome, request, reply, done);
    }
  };
}

function finish(
  outcome: VerifiedToken | Denial,
  request: FastifyRequest,
  reply: FastifyReply,
  done: (err?: Error) => void,
): void {
  if (outcome instanceof Denial) {
    reply.code(outcome.status).headers(outcome.headers).send(JSON.stringify(outcome.body));
    return;
  }
  request.auth = outcome;
  done();
}

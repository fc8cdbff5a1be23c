import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { OAuthError, toWire } from '../errors/index.js';

/**
 * Turns every thrown error into its wire form (errors/to-wire.ts decides
 * what it says) and logs the real reason. `clientErrorCode` is the `error`
 * for malformed requests in this scope (invalid_request, or
 * invalid_client_metadata in the admin API).
 */
export function installErrorHandler(
  app: FastifyInstance,
  clientErrorCode = 'invalid_request',
  /** A chance to replace the error first (the OAuth endpoints turn throttled failures into 429). */
  rewrite?: (err: Error, req: FastifyRequest) => Promise<Error>,
): void {
  app.setErrorHandler(async (original: FastifyError, req, reply) => {
    const err = (rewrite ? await rewrite(original, req) : original) as FastifyError;
    const wire = toWire(err, clientErrorCode);
    if (wire.status === 503) {
      req.log.warn({ err }, 'store unavailable');
    } else if (wire.status >= 500 && !(err instanceof OAuthError)) {
      req.log.error({ err }, 'request failed');
    } else if (err instanceof OAuthError) {
      req.log.info({ error: err.code, reason: err.reason }, 'request refused');
    } else {
      req.log.info({ error: wire.body.error, reason: err.code ?? err.message }, 'request refused');
    }
    return reply.code(wire.status).headers(wire.headers).header('cache-control', 'no-store').send(wire.body);
  });
}

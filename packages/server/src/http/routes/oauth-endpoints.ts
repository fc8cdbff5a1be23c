import type { FastifyInstance, FastifyReply } from 'fastify';
import { PATHS, type ServerContext } from '../../core/context.js';
import { handleIntrospection } from '../../core/introspection-endpoint.js';
import { handleRevocation } from '../../core/revocation-endpoint.js';
import { handleTokenRequest, type TokenResult } from '../../core/token-endpoint.js';
import { InvalidClient, MethodNotAllowed } from '../../errors/index.js';
import { ATTR } from '../../tracing/attributes.js';
import { tracing } from '../../tracing/tracing.js';
import type { CertificateSource } from '../client-certificate.js';
import { installErrorHandler } from '../error-handler.js';
import { registerOAuthBodyParsers } from '../oauth-body.js';
import { readTokenRequest } from '../token-request.js';

/** RFC 6749 §5.1: token responses (and errors) must never be cached. */
function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

/** Fastify's own content type for JSON replies. */
const JSON_TYPE = 'application/json; charset=utf-8';

const OTHER_METHODS = ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Token (RFC 6749), introspection (RFC 7662) and revocation (RFC 7009): POST only. */
export async function oauthEndpoints(
  app: FastifyInstance,
  { ctx, certificates }: { ctx: ServerContext; certificates: CertificateSource },
): Promise<void> {
  registerOAuthBodyParsers(app);
  // Failed client authentication is counted; past a budget it answers 429 instead of 401.
  installErrorHandler(app, 'invalid_request', async (err, req) => {
    if (!(err instanceof InvalidClient)) return err;
    return (await ctx.throttle.recordFailure(req.ip, err.clientId, ctx.now())) ?? err;
  });

  // Not async, and never returning the reply: a JWT for a cached client is
  // answered without a promise (see handleTokenRequest), and a returned reply
  // is a thenable Fastify would wait on until the response has finished.
  app.post(PATHS.token, (req, reply) => {
    const sendToken = ({ json, clientId, format, alg, dpopNonce }: TokenResult): void => {
      ctx.metrics.tokenIssued(clientId, alg, format);
      ctx.activity.tokenIssued(clientId);
      // RFC 9449 §8.2: a fresh nonce with each answer, so the client's next proof needs no retry.
      if (dpopNonce !== undefined) reply.header('dpop-nonce', dpopNonce);
      if (tracing !== null) {
        tracing.annotate(ATTR.tokenAlg, alg);
        tracing.annotate(ATTR.tokenFormat, format);
      }
      noStore(reply).type(JSON_TYPE).send(json);
    };
    const result = handleTokenRequest(ctx, readTokenRequest(req, ctx.endpoints.token, certificates));
    if (result instanceof Promise) return result.then(sendToken);
    sendToken(result);
  });

  app.post(PATHS.introspection, async (req, reply) => {
    const answer = await handleIntrospection(ctx, readTokenRequest(req, ctx.endpoints.introspection, certificates));
    tracing?.annotate(ATTR.tokenActive, answer.active);
    return noStore(reply).send(answer);
  });

  app.post(PATHS.revocation, async (req, reply) => {
    await handleRevocation(ctx, readTokenRequest(req, ctx.endpoints.revocation, certificates));
    return noStore(reply).send({});
  });

  for (const url of [PATHS.token, PATHS.introspection, PATHS.revocation]) {
    app.route({
      method: [...OTHER_METHODS],
      url,
      handler: async () => {
        throw new MethodNotAllowed('POST');
      },
    });
  }
}

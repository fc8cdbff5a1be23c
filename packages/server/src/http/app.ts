import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { AdminKey } from '../admin/admin-key.js';
import { adminRoutes } from '../admin/admin-routes.js';
import type { ServerContext } from '../core/context.js';
import { installErrorHandler } from './error-handler.js';
import { discoveryRoutes } from './routes/discovery.js';
import { healthRoutes } from './routes/health.js';
import { oauthEndpoints } from './routes/oauth-endpoints.js';

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/** Builds the HTTP app (no listening: tests use `inject`, main.ts listens). */
export function buildApp(ctx: ServerContext, adminKey: AdminKey): FastifyInstance {
  // Typed as the default instance: pino's Logger is wider than FastifyBaseLogger.
  const app: FastifyInstance = Fastify({
    loggerInstance: ctx.logger as unknown as FastifyBaseLogger,
    bodyLimit: ctx.config.bodyLimit,
    // A caller's X-Request-Id is kept when it is well-formed, so traces join up.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Our own onResponse hook writes one line per request instead of two.
    logController: new LogController({ disableRequestLogging: true }),
    // Bad JSON with __proto__/constructor keys is refused, never merged.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    routerOptions: { maxParamLength: 256 },
    connectionTimeout: 0,
    requestTimeout: 30_000,
  });

  installErrorHandler(app);
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      error: 'not_found',
      error_description: `no such resource: ${req.method} ${req.url.split('?')[0]?.slice(0, 200)}`,
    }),
  );
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
  });
  // One log line per request; the path only: a query string may hold something secret.
  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      {
        method: req.method,
        path: req.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });

  app.register(healthRoutes, { ctx });
  app.register(discoveryRoutes, { ctx });
  app.register(oauthEndpoints, { ctx });
  app.register(adminRoutes, { ctx, adminKey });
  return app;
}

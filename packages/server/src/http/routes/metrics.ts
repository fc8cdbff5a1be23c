import type { FastifyInstance } from 'fastify';
import { type AdminKey, checkAdminAuthorization } from '../../admin/admin-key.js';
import type { ServerContext } from '../../core/context.js';

/**
 * GET /metrics on the main port, behind the admin key: the default, so
 * metrics are never public by accident. With TESSERA_METRICS_PORT they are
 * served on their own port instead (metrics/metrics-server.ts).
 */
export async function metricsRoute(
  app: FastifyInstance,
  { ctx, adminKey }: { ctx: ServerContext; adminKey: AdminKey },
) {
  if (!ctx.config.metrics || ctx.config.metricsPort !== undefined) return;
  app.get('/metrics', async (req, reply) => {
    checkAdminAuthorization(req.headers.authorization, adminKey, ctx.auth.hasher);
    const body = await ctx.metrics.registry.metrics();
    return reply.header('cache-control', 'no-store').type(ctx.metrics.registry.contentType).send(body);
  });
}

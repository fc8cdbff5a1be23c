import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../../core/context.js';

export async function healthRoutes(app: FastifyInstance, { ctx }: { ctx: ServerContext }): Promise<void> {
  /** Liveness: the process serves HTTP. */
  app.get('/healthz', async () => ({ status: 'ok' }));

  /** Readiness: the store (and Redis, if used) answer too; a load balancer stops routing here otherwise. */
  app.get('/readyz', async (req, reply) => {
    if (ctx.lifecycle.draining) {
      return reply.code(503).header('retry-after', '1').send({ status: 'draining', store: ctx.store.kind });
    }
    try {
      await withTimeout(ctx.checkReady(), 2000);
      return { status: 'ready', store: ctx.store.kind };
    } catch (err) {
      req.log.warn({ err }, 'store not ready');
      return reply.code(503).header('retry-after', '1').send({ status: 'unavailable', store: ctx.store.kind });
    }
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

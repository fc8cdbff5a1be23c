import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../../core/context.js';

/**
 * Backing services whose loss degrades the node without making it useless,
 * by name (`redis`): each answers a probe, and /readyz reports each as `ok`
 * or `degraded` while still answering 200.
 */
export type DegradableServices = Readonly<Record<string, () => Promise<void>>>;

/** How long a probe may take before its service counts as not answering. */
const PROBE_TIMEOUT_MS = 2000;

export async function healthRoutes(
  app: FastifyInstance,
  { ctx, degradable = {} }: { ctx: ServerContext; degradable?: DegradableServices },
): Promise<void> {
  /** Liveness: the process serves HTTP. */
  app.get('/healthz', async () => ({ status: 'ok' }));

  /**
   * Readiness follows the store alone. Redis is shared by every node: if its
   * loss failed readiness, one Redis outage would take every node out of the
   * balancer at once, while most requests can still be served without it.
   */
  app.get('/readyz', async (req, reply) => {
    if (ctx.lifecycle.draining) {
      return reply.code(503).header('retry-after', '1').send({ status: 'draining', store: ctx.store.kind });
    }
    const [store, ...others] = await Promise.allSettled([
      withTimeout(ctx.checkReady(), PROBE_TIMEOUT_MS),
      ...Object.values(degradable).map((probe) => withTimeout(probe(), PROBE_TIMEOUT_MS)),
    ]);
    const services: Record<string, 'ok' | 'degraded'> = {};
    Object.keys(degradable).forEach((name, i) => {
      const probe = others[i];
      services[name] = probe?.status === 'fulfilled' ? 'ok' : 'degraded';
      // Debug: a balancer polls every few seconds, and the service's own client logs the outage once.
      if (probe?.status === 'rejected') req.log.debug({ err: probe.reason, service: name }, `${name} not answering`);
    });
    if (store?.status === 'rejected') {
      req.log.warn({ err: store.reason }, 'store not ready');
      return reply
        .code(503)
        .header('retry-after', '1')
        .send({ status: 'unavailable', store: ctx.store.kind, ...services });
    }
    return { status: 'ready', store: ctx.store.kind, ...services };
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from './config/load-config.js';
import { startMetricsServer } from './metrics/metrics-server.js';
import { createTessera, type Tessera } from './server.js';
import { shutdownTracing } from './tracing/tracing.js';

/**
 * One serving process: build, listen, print a generated admin key once, and
 * shut down cleanly. SIGTERM (an orchestrator or a rolling restart): /readyz
 * turns 503 at once while requests are still served for
 * TESSERA_SHUTDOWN_DRAIN_MS, so load balancers move away; then the server
 * stops accepting, finishes in-flight requests (bounded by
 * TESSERA_SHUTDOWN_TIMEOUT_MS) and closes the store. SIGINT (Ctrl-C) skips
 * the drain.
 */
export async function serve(config: Config, logger: Logger): Promise<Tessera> {
  const tessera = await createTessera(config, { logger });
  // Before listening: a worker that serves traffic must also answer the primary's metrics scrapes.
  if (config.metrics && config.metricsPort !== undefined) {
    const registry = tessera.ctx.metrics.registry;
    if (cluster.isWorker) {
      // The primary serves the metrics port, summing every worker's registry;
      // constructing an AggregatorRegistry is what makes this worker answer it.
      AggregatorRegistry.setRegistries([registry]);
      new AggregatorRegistry();
    } else {
      const metricsServer = await startMetricsServer(config.metricsHost, config.metricsPort, async () => ({
        body: await registry.metrics(),
        contentType: registry.contentType,
      }));
      tessera.app.addHook('onClose', async () => {
        metricsServer.close();
      });
    }
  }
  await tessera.app.listen({ port: config.port, host: config.host });
  if (tessera.generatedAdminKey) printAdminKey(tessera.generatedAdminKey);
  tessera.warmClientCache();
  logger.info({ issuer: tessera.ctx.issuer, store: tessera.ctx.store.kind, alg: config.signingAlg }, 'tessera ready');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const drainMs = signal === 'SIGTERM' ? config.shutdownDrainMs : 0;
    logger.info({ signal, drainMs }, 'shutting down');
    tessera.ctx.lifecycle.draining = true;
    setTimeout(() => {
      setTimeout(() => {
        logger.error('in-flight requests did not finish in time; exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs).unref();
      tessera
        .close()
        // After the store: the spans of the last requests are flushed to the collector before exit.
        .then(() => shutdownTracing(logger))
        .then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
    }, drainMs);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return tessera;
}

/** Shown once, on the terminal only: the log never carries it, and only its hash is kept. */
export function printAdminKey(key: string): void {
  process.stdout.write(
    `\nTessera admin key (shown once, only its hash is stored; set TESSERA_ADMIN_KEY to choose your own):\n\n  ${key}\n\n`,
  );
}

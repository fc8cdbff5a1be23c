import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../config/load-config.js';
import { startMetricsServer } from '../metrics/metrics-server.js';
import { printAdminKey } from '../serve.js';
import { createTessera } from '../server.js';
import { isFeedMessage } from '../sync/cluster-feed.js';

/** A worker that dies sooner than this after starting is not restarted at once (crash loop). */
const MIN_UPTIME_MS = 5_000;

/**
 * TESSERA_WORKERS=N: the primary prepares the store once (migrations, first
 * signing key, admin key), then forks N workers that share the port, relays
 * cache-invalidation messages between them, and restarts a worker that dies.
 */
export async function runPrimary(config: Config, logger: Logger): Promise<void> {
  // Prepared here, before any worker exists, so workers never race to create the first key.
  const setup = await createTessera(config, { logger });
  const generatedKey = setup.generatedAdminKey;
  await setup.close();
  if (generatedKey) printAdminKey(generatedKey);

  let stopping = false;
  const started = new Map<Worker, number>();
  const fork = () => started.set(cluster.fork(), Date.now());

  cluster.on('message', (from, message) => {
    if (!isFeedMessage(message)) return;
    for (const w of Object.values(cluster.workers ?? {})) if (w && w !== from && w.isConnected()) w.send(message);
  });
  cluster.on('exit', (worker, code, signal) => {
    const uptime = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    if (stopping) {
      if (started.size === 0) process.exit(0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
    setTimeout(fork, uptime < MIN_UPTIME_MS ? 1000 : 0);
  });

  for (let i = 0; i < config.workers; i++) fork();
  if (config.metricsPort !== undefined) {
    const aggregator = new AggregatorRegistry();
    await startMetricsServer(config.metricsHost, config.metricsPort, async () => ({
      body: await aggregator.clusterMetrics(),
      contentType: aggregator.contentType,
    }));
  }
  logger.info({ workers: config.workers, port: config.port }, 'tessera primary started');

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping workers');
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

import cluster from 'node:cluster';
import { runPrimary } from './cluster/primary.js';
import { type Config, ConfigError, loadConfig } from './config/load-config.js';
import { createLogger } from './logging/logger.js';
import { serve } from './serve.js';
import { readTracingSettings, type TracingSettings } from './tracing/settings.js';
import { startTracing } from './tracing/tracing.js';

/**
 * Starts the server from the environment: validate the configuration once,
 * then serve, in this process or in TESSERA_WORKERS worker processes. A bad
 * setting stops here with one line naming the variable. `npm start`
 * (main.ts) and `tessera serve` both come here, so they cannot differ.
 */
export async function startServer(): Promise<void> {
  let config: Config;
  let tracingSettings: TracingSettings | undefined;
  try {
    config = loadConfig();
    tracingSettings = readTracingSettings(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tessera: configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, logger);
  // Each serving process (each cluster worker) runs its own SDK; the primary serves no requests.
  const tracing = await startTracing(tracingSettings, logger);
  if (tracing !== null) logger.info(tracing.describe(), 'tracing on');
  await serve(config, logger);
}

/** Start-up failures are one line, never a stack trace. */
export function reportStartFailure(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`tessera: failed to start: ${message}\n`);
  process.exit(1);
}

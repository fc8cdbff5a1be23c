#!/usr/bin/env node
import cluster from 'node:cluster';
import { runPrimary } from './cluster/primary.js';
import { type Config, ConfigError, loadConfig } from './config/load-config.js';
import { createLogger } from './logging/logger.js';
import { serve } from './serve.js';

/**
 * `npm start`: validate the configuration once, then serve, in this process
 * or in TESSERA_WORKERS worker processes. A bad setting stops here with one
 * line naming the variable.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tessera: configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, logger);
  await serve(config, logger);
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`tessera: failed to start: ${message}\n`);
  process.exit(1);
});

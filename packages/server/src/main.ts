#!/usr/bin/env node
import { ConfigError, loadConfig } from './config/load-config.js';
import { createLogger } from './logging/logger.js';
import { createTessera } from './server.js';

/**
 * `npm start`: validate the configuration, open the store, listen. A bad
 * setting stops here with one line naming the variable.
 */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
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
  const tessera = await createTessera(config, { logger });
  const { app } = tessera;
  await app.listen({ port: config.port, host: config.host });
  if (tessera.generatedAdminKey) {
    // Shown once, on the terminal only: the log never carries it, and only its hash is kept.
    process.stdout.write(
      `\nTessera admin key (shown once, only its hash is stored; set TESSERA_ADMIN_KEY to choose your own):\n\n  ${tessera.generatedAdminKey}\n\n`,
    );
  }
  logger.info({ issuer: tessera.ctx.issuer, store: tessera.ctx.store.kind, alg: config.signingAlg }, 'tessera ready');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    tessera.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`tessera: failed to start: ${message}\n`);
  process.exit(1);
});

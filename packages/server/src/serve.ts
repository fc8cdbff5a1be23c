import type { Logger } from 'pino';
import type { Config } from './config/load-config.js';
import { createTessera, type Tessera } from './server.js';

/** How long SIGTERM waits for in-flight requests before giving up. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * One serving process: build, listen, print a generated admin key once, and
 * shut down cleanly on SIGTERM/SIGINT (stop accepting, finish in-flight
 * requests, close the store).
 */
export async function serve(config: Config, logger: Logger): Promise<Tessera> {
  const tessera = await createTessera(config, { logger });
  await tessera.app.listen({ port: config.port, host: config.host });
  if (tessera.generatedAdminKey) printAdminKey(tessera.generatedAdminKey);
  logger.info({ issuer: tessera.ctx.issuer, store: tessera.ctx.store.kind, alg: config.signingAlg }, 'tessera ready');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
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
  return tessera;
}

/** Shown once, on the terminal only: the log never carries it, and only its hash is kept. */
export function printAdminKey(key: string): void {
  process.stdout.write(
    `\nTessera admin key (shown once, only its hash is stored; set TESSERA_ADMIN_KEY to choose your own):\n\n  ${key}\n\n`,
  );
}

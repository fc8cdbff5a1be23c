import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/** packages/console/dist, from packages/server/{src,dist}/console/: the same in the repository and the image. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

/**
 * The console's pages may load their own scripts, styles and images and call
 * this origin, nothing else: no inline script or style, no eval, no frame.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Vite names every built asset by a hash of its content: cached for a year, never revalidated. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * GET /console/: the admin console's static files (built by `npm run build`
 * into packages/console/dist). index.html is revalidated on every load, so a
 * new build is picked up at once. Missing build: a warning, and no route.
 */
export async function consoleStatic(app: FastifyInstance, { logger }: { logger: Logger }): Promise<void> {
  if (!existsSync(`${CONSOLE_DIST}index.html`)) {
    logger.warn({ dir: CONSOLE_DIST }, 'the console is not built (npm run build): /console/ is not served');
    return;
  }
  // After the app's own security headers (a parent's onSend runs first): this policy replaces its default-src 'none'.
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.header('content-security-policy', CONSOLE_CSP);
    done(null, payload);
  });
  app.get('/console', (_req, reply) => reply.redirect('/console/', 301));
  await app.register(fastifyStatic, {
    root: CONSOLE_DIST,
    prefix: '/console/',
    index: ['index.html'],
    // Dotfiles, directory listings and paths outside the root are refused by @fastify/static itself.
    cacheControl: false,
    setHeaders(res, path) {
      res.setHeader('cache-control', path.includes('/assets/') ? IMMUTABLE : 'no-cache');
    },
  });
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AdminAuthDeps, checkSameOrigin } from '../admin/admin-auth.js';
import { checkAdminAuthorization } from '../admin/admin-key.js';
import { AdminUnauthorized, InvalidRequest } from '../errors/index.js';
import { installErrorHandler } from '../http/error-handler.js';
import type { ConsoleSession, ConsoleSessions } from './console-sessions.js';
import { clearedSessionCookie, SESSION_COOKIE_PATH, sessionCookie, sessionIdOf } from './session-cookie.js';

const MAX_KEY_LENGTH = 512;

/**
 * The console's sign-in: the admin key, typed once, is exchanged for a
 * session cookie (console-sessions.ts), so the page never holds the key
 * (nor any storage, nor a URL). Under /admin because the cookie's Path is:
 *   POST   /admin/session  {"admin_key": "…"}  → 200 and Set-Cookie; a wrong key 401, counted as a guess
 *   GET    /admin/session  → 200 the session's expiry, or 401
 *   DELETE /admin/session  → 204, the session ended and the cookie cleared
 */
export async function consoleSessionRoutes(
  app: FastifyInstance,
  { ctx, adminKey, sessions }: AdminAuthDeps & { sessions: ConsoleSessions },
): Promise<void> {
  installErrorHandler(app);
  const secure = (req: FastifyRequest) => req.protocol === 'https' || ctx.issuer.startsWith('https:');
  const view = (session: ConsoleSession) => {
    const { idleAt, maxAt } = sessions.expiry(session);
    return {
      actor: session.actor,
      idle_expires_at: new Date(idleAt).toISOString(),
      expires_at: new Date(maxAt).toISOString(),
    };
  };
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  app.post(`${SESSION_COOKIE_PATH}/session`, async (req, reply) => {
    checkSameOrigin(req, ctx.issuer);
    const key = (req.body as { admin_key?: unknown } | null | undefined)?.admin_key;
    if (typeof key !== 'string' || key.length === 0) throw new InvalidRequest('admin_key is required');
    try {
      if (key.length > MAX_KEY_LENGTH || /\s/.test(key)) throw new AdminUnauthorized('malformed admin key', true);
      checkAdminAuthorization(`Bearer ${key}`, adminKey, ctx.auth.hasher);
    } catch (err) {
      const limited = await ctx.throttle.recordAdminFailure(req.ip, ctx.now());
      throw limited ?? err;
    }
    // A session the browser already had is replaced, never reused (no fixation).
    const previous = sessionIdOf(req);
    if (previous) sessions.end(previous);
    const { id, session } = sessions.create();
    req.log.info({ audit: 'console.sign_in', actor: session.actor, ip: req.ip }, 'audit: console.sign_in');
    return noStore(reply)
      .header('set-cookie', sessionCookie(id, secure(req)))
      .send(view(session));
  });

  app.get(`${SESSION_COOKIE_PATH}/session`, async (req, reply) => {
    const id = sessionIdOf(req);
    const session = id === undefined ? undefined : sessions.use(id);
    if (!session) throw new AdminUnauthorized('no console session', false);
    return noStore(reply).send(view(session));
  });

  app.delete(`${SESSION_COOKIE_PATH}/session`, async (req, reply) => {
    checkSameOrigin(req, ctx.issuer);
    const id = sessionIdOf(req);
    if (id !== undefined) {
      const session = sessions.use(id);
      if (session)
        req.log.info({ audit: 'console.sign_out', actor: session.actor, ip: req.ip }, 'audit: console.sign_out');
      sessions.end(id);
    }
    return noStore(reply)
      .header('set-cookie', clearedSessionCookie(secure(req)))
      .code(204)
      .send();
  });
}

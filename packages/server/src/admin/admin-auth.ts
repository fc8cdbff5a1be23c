import type { FastifyRequest } from 'fastify';
import type { ConsoleSessions } from '../console/console-sessions.js';
import { sessionIdOf } from '../console/session-cookie.js';
import type { ServerContext } from '../core/context.js';
import { AdminUnauthorized, Forbidden } from '../errors/index.js';
import { type AdminKey, checkAdminAuthorization } from './admin-key.js';
import { setAuditActor } from './audit-actor.js';

/** The header every state-changing console call carries: no other site can send it without a CORS preflight we never grant. */
export const CONSOLE_HEADER = 'x-tessera-console';

export interface AdminAuthDeps {
  ctx: Pick<ServerContext, 'throttle' | 'now' | 'auth' | 'issuer'>;
  adminKey: AdminKey;
  /** The console's sessions; undefined when TESSERA_CONSOLE=false, and then no cookie is accepted. */
  sessions?: ConsoleSessions | undefined;
}

/**
 * The admin API's gate: `Authorization: Bearer <admin key>` as ever, or the
 * console's session cookie. A cookie rides along with any request the
 * browser makes, so a state-changing call with one must also prove it comes
 * from the console itself (checkSameOrigin). A wrong key is a guess, counted
 * per address; a stale cookie is not (it was once right).
 */
export async function authorizeAdmin(req: FastifyRequest, { ctx, adminKey, sessions }: AdminAuthDeps): Promise<void> {
  const sessionId = sessions && req.headers.authorization === undefined ? sessionIdOf(req) : undefined;
  if (sessions && sessionId !== undefined) {
    const session = sessions.use(sessionId);
    if (!session) throw new AdminUnauthorized('console session unknown or expired', true);
    if (!SAFE_METHODS.has(req.method)) checkSameOrigin(req, ctx.issuer);
    setAuditActor(req, session.actor);
    return;
  }
  try {
    checkAdminAuthorization(req.headers.authorization, adminKey, ctx.auth.hasher);
  } catch (err) {
    // A key was presented and was wrong: a guess, counted per address. No header at all guesses nothing.
    if (req.headers.authorization !== undefined) {
      const limited = await ctx.throttle.recordAdminFailure(req.ip, ctx.now());
      if (limited) throw limited;
    }
    throw err;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cross-site request forgery: SameSite=Strict already keeps the cookie off
 * other sites' requests; this is the second lock, for browsers or set-ups
 * where that fails (a sibling subdomain is "same site"). The console's
 * header is required (a form cannot set it, and fetch cannot without a
 * preflight), and an Origin or Sec-Fetch-Site, when the browser sends them,
 * must say the console's own origin.
 */
export function checkSameOrigin(req: FastifyRequest, issuer: string): void {
  if (req.headers[CONSOLE_HEADER] !== '1') {
    throw new Forbidden('this call needs the console header', `no ${CONSOLE_HEADER} header on a cookie request`);
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') {
    throw new Forbidden('cross-site request refused', `sec-fetch-site: ${String(site).slice(0, 40)}`);
  }
  const origin = req.headers.origin;
  if (origin === undefined) return;
  const own = new Set([new URL(issuer).origin, `${req.protocol}://${req.host}`]);
  if (!own.has(origin)) throw new Forbidden('cross-site request refused', `origin ${origin.slice(0, 100)}`);
}

import type { FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'tessera_console';
/** The cookie goes only to the admin API (which the console calls), never to the token endpoint or the pages. */
export const SESSION_COOKIE_PATH = '/admin';
/** Session ids are 32 random bytes, base64url. */
const ID = /^[A-Za-z0-9_-]{43}$/;

/** The session id in the request's Cookie header, or undefined (a malformed one counts as none). */
export function sessionIdOf(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return ID.test(value) ? value : undefined;
  }
  return undefined;
}

/**
 * HttpOnly (no script reads it), SameSite=Strict (no other site's request
 * carries it), Secure whenever the browser reached us over https (directly
 * or through a trusted proxy), and no Max-Age: it ends with the browser, and
 * the server ends it sooner (console-sessions.ts).
 */
export function sessionCookie(id: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=${SESSION_COOKIE_PATH}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=${SESSION_COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

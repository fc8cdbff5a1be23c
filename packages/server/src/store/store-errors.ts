/**
 * Thrown, or recognised, when the store cannot answer right now: the request
 * changed nothing and may be retried, so it maps to 503 + Retry-After, not 500.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/** SQLite result codes that mean "busy or broken storage", not "bad query". */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL|READONLY)/;
/** Socket-level failures of a database or Redis connection. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function isStoreUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SQLITE_UNAVAILABLE.test(code) || NETWORK_CODES.has(code)) return true;
    // PostgreSQL SQLSTATE classes 08 (connection), 53 (resources), 57P (shutdown, cannot connect now).
    if (/^(08|53)\d{3}$/.test(code) || /^57P0[1-3]$/.test(code)) return true;
  }
  const message = (err as { message?: unknown }).message;
  // node-postgres reports pool and query timeouts and dead connections only by message.
  return (
    typeof message === 'string' &&
    /timeout exceeded when trying to connect|Query read timeout|Connection terminated|Client has encountered a connection error|connection timeout/i.test(
      message,
    )
  );
}

import { createHash } from 'node:crypto';

/**
 * Client secrets (`tessera_cs_`), opaque access tokens (`tessera_at_`) and
 * generated admin keys (`tessera_ak_`) carry a prefix so a leaked one can be
 * found (as secret scanners do). The
 * same prefix finds them in a log line, wherever a mistaken client put one:
 * in a client_id, a scope, a grant_type. What follows the prefix, up to a
 * space or a quote (the end of a JSON string), is the secret.
 */
const PREFIXED_SECRET = /tessera_(?:cs|at|ak)_[^\s"]*/g;

/**
 * pino's last hook before a line is written: every line, whatever logged
 * it and however its fields were nested, passes here. One substring scan
 * on a line that holds no prefix (nearly every line); the regex only when
 * one might.
 */
export function redactSecrets(line: string): string {
  if (!line.includes('tessera_')) return line;
  return line.replace(PREFIXED_SECRET, (s) => `${s.slice(0, 11)}[redacted]`);
}

/**
 * How a presented client id that matches no client is logged. It may be a
 * secret sent as the id (id and secret swapped, or a custom secret without
 * the prefix): its first 8 characters and a SHA-256 prefix are enough to tell
 * attempts apart and to match a suspected id, never enough to use it.
 */
export function unknownClientIdForLog(id: string): string {
  const digest = createHash('sha256').update(id).digest('hex').slice(0, 12);
  return id.length > 8 ? `${id.slice(0, 8)}… sha256:${digest}` : `${id} sha256:${digest}`;
}

import type { StoredClient } from '../clients/client.js';
import type { SecretHasher } from '../crypto/secret-hasher.js';

/**
 * True when `secret` matches one of the client's unexpired secrets. Every
 * stored secret is compared (in constant time), so timing does not reveal
 * which one matched or how many there are.
 */
export function matchesSecret(hasher: SecretHasher, client: StoredClient, secret: string, nowMs: number): boolean {
  let ok = false;
  for (const s of client.secrets) {
    const live = s.expiresAt === null || s.expiresAt > nowMs;
    if (hasher.verify(secret, s.hash) && live) ok = true;
  }
  return ok;
}

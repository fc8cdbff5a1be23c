import type { SecretRecord, StoredClient } from '../clients/client.js';
import type { SecretHasher } from '../crypto/secret-hasher.js';

/**
 * The client's unexpired secret that `secret` matches, if any. Every stored
 * secret is compared (in constant time), so timing does not reveal which one
 * matched or how many there are.
 */
export function matchingSecret(
  hasher: SecretHasher,
  client: StoredClient,
  secret: string,
  nowMs: number,
): SecretRecord | undefined {
  let matched: SecretRecord | undefined;
  for (const s of client.secrets) {
    const live = s.expiresAt === null || s.expiresAt > nowMs;
    if (hasher.verify(secret, s.hash) && live) matched = s;
  }
  return matched;
}

import type { SecretRecord, StoredClient } from '../clients/client.js';
import type { SecretHasher } from '../crypto/secret-hasher.js';
import { InvalidClient } from '../errors/index.js';
import type { ClientAuthDeps } from './deps.js';

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

/** Secret methods: one of the presented spellings must match a live secret. Synchronous: no store access. */
export function verifySecrets(deps: ClientAuthDeps, client: StoredClient, secrets: readonly string[]): void {
  const now = deps.now();
  for (const secret of secrets) {
    const matched = matchingSecret(deps.hasher, client, secret, now);
    if (matched) {
      deps.rehash?.afterMatch(client.clientId, matched, secret);
      return;
    }
  }
  throw new InvalidClient(`wrong secret for client ${client.clientId}`, 'wrong_secret', client.clientId);
}

import type { Logger } from 'pino';
import type { ClientStore, EncryptionKeyStore, SealedRef } from '../store/types.js';
import { keyContext, secretContext } from './sealed-contexts.js';
import type { Sealer } from './sealer.js';
import type { SecretHasher } from './secret-hasher.js';

export interface RotationDeps {
  store: EncryptionKeyStore & Pick<ClientStore, 'getClient' | 'maxAccessTokenTtl'>;
  sealer: Sealer;
  /** The client-secret hasher (the admin key's hash is made by it too). */
  hasher: SecretHasher;
  /** Hashes the admin key is checked against: a generated key's is the stored one. */
  adminKeyHashes: readonly string[];
  now: number;
  logger: Logger;
}

/**
 * The start-up step of an encryption key rotation (docs/security.md):
 * everything sealed under a previous key is re-sealed under the current one,
 * each value compare-and-set on its old text, so nodes starting together
 * each do part of it and none undoes another's. Hashes cannot be redone
 * without their secret (they are re-hashed on next use): they are counted,
 * so the log says when TESSERA_ENCRYPTION_KEY_PREVIOUS can go. Counts and
 * key ids only, never a value.
 */
export async function reencryptAtStart(deps: RotationDeps): Promise<void> {
  const { store, sealer, hasher, logger } = deps;
  const sealed = await resealPrevious(deps);
  const hashes = await countHashes(deps);
  const adminKey = deps.adminKeyHashes.map((h) => hasher.keyOf(h));

  if (sealed.unknown > 0 || hashes.unknown > 0 || adminKey.includes('unknown')) {
    logger.warn(
      {
        encryption_key_id: sealer.keyId,
        sealed_values: sealed.unknown,
        client_secret_hashes: hashes.unknown,
        admin_key_hash: adminKey.includes('unknown'),
      },
      'values made under an encryption key this server does not hold: their clients cannot authenticate until given a new secret (a generated admin key: set TESSERA_ADMIN_KEY)',
    );
  }
  if (sealer.previousKeyIds.length === 0) return;
  const remaining = {
    sealed_under_previous_keys: sealed.failed,
    client_secret_hashes_under_previous_keys: hashes.previous,
    admin_key_hash_under_previous_key: adminKey.includes('previous'),
  };
  const done = sealed.failed === 0 && hashes.previous === 0 && !adminKey.includes('previous');
  logger.info(
    {
      encryption_key_id: sealer.keyId,
      previous_key_ids: sealer.previousKeyIds,
      resealed: sealed.resealed,
      resealed_by_other_nodes: sealed.byOthers,
      ...remaining,
      // Opaque tokens are not counted (those issued before ids were stored under a bare digest, naming no key): each ends with its lifetime.
      longest_token_ttl_s: await store.maxAccessTokenTtl(),
    },
    done
      ? 'encryption key rotation: nothing stored depends on the previous keys any more, except opaque tokens issued under them (they expire within longest_token_ttl_s)'
      : 'encryption key rotation: values still depend on the previous keys (client secrets and a generated admin key are re-hashed on their next use)',
  );
}

async function resealPrevious(deps: RotationDeps) {
  const { store, sealer, logger } = deps;
  const counts = { resealed: 0, byOthers: 0, failed: 0, unknown: 0 };
  for (const v of await store.listSealedValues(sealer.currentPrefix)) {
    if (sealer.keyOf(v.sealed) === 'unknown') {
      counts.unknown++;
      continue;
    }
    try {
      const context = contextOf(v.ref);
      const plaintext = sealer.open(v.sealed, context);
      if (await store.replaceSealedValue(v.ref, v.sealed, sealer.seal(plaintext, context))) counts.resealed++;
      else counts.byOthers++;
      if (v.ref.kind === 'client-secret') await rehashSealedSecret(deps, v.ref, plaintext.toString('utf8'));
    } catch (err) {
      // One value that cannot be opened (tampered, or a store hiccup) must not stop the others; it is counted.
      counts.failed++;
      logger.warn({ err: errorName(err), ref: v.ref }, 're-sealing a value under the current encryption key failed');
    }
  }
  return counts;
}

/**
 * A client_secret_jwt secret is the one secret whose plaintext is at hand
 * here: its hash is redone now rather than on the client's next use.
 */
async function rehashSealedSecret(
  { store, hasher }: RotationDeps,
  ref: Extract<SealedRef, { kind: 'client-secret' }>,
  secret: string,
): Promise<void> {
  const stored = (await store.getClient(ref.clientId))?.secrets.find((s) => s.id === ref.secretId);
  if (stored && hasher.keyOf(stored.hash) === 'previous') {
    await store.replaceSecretHash(stored.id, stored.hash, hasher.hash(secret));
  }
}

async function countHashes({ store, hasher, now }: RotationDeps) {
  const total = await store.countSecretHashes('', now);
  if (total === 0) return { previous: 0, unknown: 0 };
  const current = await store.countSecretHashes(hasher.currentPrefix, now);
  let previous = 0;
  for (const prefix of hasher.previousPrefixes) previous += await store.countSecretHashes(prefix, now);
  return { previous, unknown: total - current - previous };
}

function contextOf(ref: SealedRef): string {
  return ref.kind === 'signing-key' ? keyContext(ref.kid) : secretContext(ref.clientId, ref.secretId);
}

/** Name and message only: never the error's other fields (a driver's `detail` can quote a row). */
function errorName(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message.slice(0, 120)}` : 'unknown error';
}

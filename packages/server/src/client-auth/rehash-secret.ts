import type { Logger } from 'pino';
import type { SecretRecord } from '../clients/client.js';
import type { SecretHasher } from '../crypto/secret-hasher.js';
import type { EncryptionKeyStore } from '../store/types.js';

/**
 * During an encryption key rotation, a client secret hashed under a previous
 * key can only be re-hashed when the secret itself is seen: on the client's
 * next successful authentication. Built only while previous keys are
 * configured, so the usual request pays nothing.
 *
 * The write happens after the answer (setImmediate), compare-and-set on the
 * old hash (a secret rotated meanwhile is left alone), and never fails the
 * request. Each secret is tried once per process: while nodes with the keys
 * the other way round (a rollout in progress) share the store, a secret can
 * move back and forth at most once per node, not once per request.
 */
export class SecretRehasher {
  readonly #tried = new Set<string>();

  constructor(
    private readonly store: Pick<EncryptionKeyStore, 'replaceSecretHash'>,
    private readonly hasher: SecretHasher,
    /** Forgets the client's cached secrets here and on every other node. */
    private readonly invalidate: (clientId: string) => void,
    private readonly logger: Pick<Logger, 'info' | 'warn'>,
  ) {}

  /** Called with the secret that just matched `stored`. */
  afterMatch(clientId: string, stored: SecretRecord, secret: string): void {
    if (this.hasher.keyOf(stored.hash) !== 'previous' || this.#tried.has(stored.id)) return;
    this.#tried.add(stored.id);
    const hash = this.hasher.hash(secret);
    setImmediate(() => {
      this.store.replaceSecretHash(stored.id, stored.hash, hash).then(
        (replaced) => {
          if (!replaced) return;
          this.invalidate(clientId);
          this.logger.info({ client_id: clientId }, 're-hashed a client secret under the current encryption key');
        },
        (err: unknown) =>
          this.logger.warn(
            { err, client_id: clientId },
            're-hashing a client secret failed; tried again after a restart',
          ),
      );
    });
  }
}

import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const PREFIX = 'hmac-sha256';

/**
 * Keyed hashes of high-entropy secrets (client secrets, opaque tokens, the
 * admin key). The secrets carry 256 bits, so a slow KDF buys nothing and
 * costs the token endpoint dearly; the key (derived from the encryption key,
 * never stored in the database) means a stolen database alone cannot even be
 * used to test guesses offline.
 *
 * Stored form: `hmac-sha256$<key id>$<base64url digest>`, so a future key
 * rotation can tell which key made a hash.
 */
export class SecretHasher {
  readonly #key: Buffer;
  readonly #keyId: string;

  constructor(masterKey: Buffer, purpose = 'secret-hash') {
    this.#key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `tessera/${purpose}/v1`, 32));
    this.#keyId = createHmac('sha256', this.#key).update('key-id').digest('base64url').slice(0, 8);
  }

  /** The raw digest: used as a lookup key (opaque tokens, jti) as well as for storage. */
  digest(secret: string): string {
    return createHmac('sha256', this.#key).update(secret, 'utf8').digest('base64url');
  }

  hash(secret: string): string {
    return `${PREFIX}$${this.#keyId}$${this.digest(secret)}`;
  }

  /** Constant-time: the digests have a fixed length whatever the input. */
  verify(secret: string, stored: string): boolean {
    const parts = stored.split('$');
    if (parts.length !== 3 || parts[0] !== PREFIX || parts[1] !== this.#keyId) return false;
    const expected = Buffer.from(parts[2] ?? '', 'base64url');
    const actual = createHmac('sha256', this.#key).update(secret, 'utf8').digest();
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}

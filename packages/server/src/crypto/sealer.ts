import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A sealed value names a key this server does not hold (neither current nor previous). */
export class UnknownEncryptionKeyError extends Error {
  override name = 'UnknownEncryptionKeyError';
  constructor(
    readonly keyId: string | undefined,
    currentKeyId: string,
  ) {
    super(
      `sealed with another encryption key (${keyId}): neither TESSERA_ENCRYPTION_KEY (${currentKeyId}) nor in TESSERA_ENCRYPTION_KEY_PREVIOUS`,
    );
  }
}

/**
 * AES-256-GCM for the few things that must be recoverable at rest: private
 * signing keys and client_secret_jwt secrets. Each value is bound to its
 * context (AAD), so a ciphertext copied to another row fails to open.
 *
 * Sealed form: `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url parts).
 *
 * Seals with the current key only; opens under the current key or any
 * previous one (TESSERA_ENCRYPTION_KEY_PREVIOUS), chosen by the key id the
 * value carries, so a key can be rotated while values sealed under the old
 * one are still being re-sealed.
 */
export class Sealer {
  readonly #key: Buffer;
  readonly keyId: string;
  /** Previous keys by key id: accepted to open, never used to seal. */
  readonly #previous = new Map<string, Buffer>();

  constructor(key: Buffer, previous: readonly Buffer[] = []) {
    this.#key = checked(key);
    this.keyId = sealerKeyId(key);
    for (const k of previous) {
      const id = sealerKeyId(checked(k));
      if (id !== this.keyId) this.#previous.set(id, k);
    }
  }

  /** Ids of the previous keys (as found in sealed values), for logs and counts. */
  get previousKeyIds(): string[] {
    return [...this.#previous.keys()];
  }

  /** The start of every value sealed under the current key. */
  get currentPrefix(): string {
    return `v1.${this.keyId}.`;
  }

  seal(plaintext: Buffer | string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v1', this.keyId, iv.toString('base64url'), ct.toString('base64url'), tag.toString('base64url')].join('.');
  }

  open(sealed: string, context: string): Buffer {
    const [version, keyId, iv, ct, tag] = sealed.split('.');
    if (version !== 'v1' || !iv || ct === undefined || !tag) throw new Error('malformed sealed value');
    const key = this.#keyFor(keyId);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
  }

  /** Which key sealed `sealed`: the current one, a previous one, or one this server does not hold. */
  keyOf(sealed: string): 'current' | 'previous' | 'unknown' {
    const keyId = sealed.split('.', 2)[1];
    if (keyId === this.keyId) return 'current';
    return keyId !== undefined && this.#previous.has(keyId) ? 'previous' : 'unknown';
  }

  #keyFor(keyId: string | undefined): Buffer {
    if (keyId === this.keyId) return this.#key;
    const previous = keyId === undefined ? undefined : this.#previous.get(keyId);
    if (!previous) throw new UnknownEncryptionKeyError(keyId, this.keyId);
    return previous;
  }
}

/**
 * The id a sealed value carries: 48 bits of the key's SHA-256, enough to tell
 * keys apart and nothing to recover one from. `node -e` in docs/security.md
 * computes it for an operator.
 */
export function sealerKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}

function checked(key: Buffer): Buffer {
  if (key.length !== 32) throw new Error('encryption key must be 32 bytes');
  return key;
}

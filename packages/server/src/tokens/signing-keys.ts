import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SigningAlg } from '../config/load-config.js';
import { keyContext } from '../crypto/sealed-contexts.js';
import type { Sealer } from '../crypto/sealer.js';
import type { AuditOrigin, ClientStore, SigningKeyRecord, SigningKeyStore } from '../store/types.js';
import { type ChangeFeed, LocalFeed } from '../sync/change-feed.js';
import { ALGORITHMS, isSigningAlg, type JwsSigner, jwsSigner, signJws } from './jws-algorithms.js';

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  signer: JwsSigner;
  /** base64url of the JWS protected header, computed once per key. */
  encodedHeader: string;
}

type Signer = SigningKey & { activatesAt: number; retiresAt: number | null };

export interface PublicKey {
  kid: string;
  alg: SigningAlg;
  key: KeyObject;
  jwk: JWK;
  activatesAt: number;
  retiresAt: number | null;
}

/**
 * The server's signing keys, decrypted once into KeyObjects. `current()` and
 * `jwks()` answer from memory: the token endpoint never reads keys from the
 * store. `reload()` re-reads them; the composition root calls it when the
 * change feed reports a change and on a schedule (`key-refresh.ts`).
 */
export class SigningKeys {
  /** Keys of our algorithm that may sign, now or later: newest activation first. */
  #signers: Signer[] = [];
  #signing: SigningKey | undefined;
  /** When the choice of signing key must be made again (a scheduled key activates, or the signer retires). */
  #signingValidUntil = Number.POSITIVE_INFINITY;
  #public = new Map<string, PublicKey>();
  #jwks: { json: string; validUntil: number } | undefined;
  /** Latest `exp` this node signed per kid, so a rotation keeps the old key published long enough. */
  readonly #lastExp = new Map<string, number>();
  /** Decrypted private keys by kid: a periodic reload that finds the same keys decrypts nothing. */
  #opened = new Map<string, Pick<Signer, 'signer' | 'encodedHeader'>>();

  constructor(
    /** Keys, and the longest token lifetime a client has (how long a retired key stays published). */
    private readonly store: SigningKeyStore & Pick<ClientStore, 'maxAccessTokenTtl'>,
    private readonly sealer: Sealer,
    private readonly alg: SigningAlg,
    private readonly now: () => number,
    /** Where a rotation is announced; listening to it is the composition root's job. */
    private readonly feed: ChangeFeed = new LocalFeed(),
  ) {}

  /** Loads the keys; creates the first one, or one of a newly configured alg. */
  async init(): Promise<void> {
    await this.reload();
    if (this.#needsOwnKey()) await this.rotate();
  }

  /**
   * True when no key of our algorithm is (or is about to be) the current one,
   * or a key of another algorithm still is: TESSERA_SIGNING_ALG changed, maybe
   * back to an algorithm whose old key is still retiring. Rotating retires the
   * other algorithm's key by the usual rule; without it that key would stay
   * published for ever, and our retiring key would stop signing at its end.
   */
  #needsOwnKey(): boolean {
    const unretired = [...this.#public.values()].filter((k) => k.retiresAt === null);
    return !this.#signing || !unretired.some((k) => k.alg === this.alg) || unretired.some((k) => k.alg !== this.alg);
  }

  async reload(): Promise<void> {
    const now = this.now();
    const records = await this.store.listSigningKeys();
    const pub = new Map<string, PublicKey>();
    const signers: Signer[] = [];
    const opened = new Map<string, Pick<Signer, 'signer' | 'encodedHeader'>>();
    for (const r of records) {
      if (!isSigningAlg(r.alg) || (r.retiresAt !== null && r.retiresAt <= now)) continue;
      const jwk = JSON.parse(r.publicJwk) as JWK;
      pub.set(r.kid, {
        kid: r.kid,
        alg: r.alg,
        key: createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
        jwk,
        activatesAt: r.activatesAt,
        retiresAt: r.retiresAt,
      });
      // Scheduled keys are decrypted now, so the switch at their activation needs no store.
      if (r.alg === this.alg) {
        // A kid is the public key's thumbprint: the same kid is the same key pair, whatever its sealing.
        const key = this.#opened.get(r.kid) ?? this.#open(r.kid, r.alg, r.sealedPrivateKey);
        opened.set(r.kid, key);
        signers.push({ kid: r.kid, alg: r.alg, ...key, activatesAt: r.activatesAt, retiresAt: r.retiresAt });
      }
    }
    this.#public = pub;
    this.#signers = signers;
    this.#opened = opened;
    this.#chooseSigner(now);
    this.#jwks = undefined;
  }

  #open(kid: string, alg: SigningAlg, sealed: string): Pick<Signer, 'signer' | 'encodedHeader'> {
    const der = this.sealer.open(sealed, keyContext(kid));
    return {
      signer: jwsSigner(alg, createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })),
      encodedHeader: Buffer.from(JSON.stringify({ alg, kid, typ: 'at+jwt' })).toString('base64url'),
    };
  }

  /**
   * The newest active key that is not retiring signs. A retiring key signs
   * only while its successor has not activated yet (a scheduled rotation's
   * first phase). Recomputed only when that can change.
   */
  #chooseSigner(now: number): void {
    const active = (k: Signer) => k.activatesAt <= now;
    const signing =
      this.#signers.find((k) => active(k) && k.retiresAt === null) ??
      this.#signers.find((k) => active(k) && k.retiresAt !== null && k.retiresAt > now);
    let validUntil = signing?.retiresAt ?? Number.POSITIVE_INFINITY;
    for (const k of this.#signers) if (k.activatesAt > now) validUntil = Math.min(validUntil, k.activatesAt);
    this.#signing = signing;
    this.#signingValidUntil = validUntil;
  }

  current(): SigningKey {
    const signing = this.#signingAt(this.now());
    if (!signing) throw new Error('no signing key loaded');
    return signing;
  }

  #signingAt(now: number): SigningKey | undefined {
    if (now >= this.#signingValidUntil) this.#chooseSigner(now);
    return this.#signing;
  }

  /** The key that signs now and when it started to: what the rotation schedule looks at. */
  signingSince(): { kid: string; activatesAt: number } | undefined {
    const k = this.current();
    const signer = this.#signers.find((s) => s.kid === k.kid);
    return signer && { kid: signer.kid, activatesAt: signer.activatesAt };
  }

  /** True when a key is already scheduled to sign later. */
  hasScheduledKey(): boolean {
    const now = this.now();
    return this.#signers.some((k) => k.activatesAt > now);
  }

  sign(key: SigningKey, data: Buffer): Buffer {
    return signJws(key.signer, data);
  }

  /** Remembers the expiry of a token signed with `kid` (cheap: a compare per token). */
  noteSigned(kid: string, exp: number): void {
    if ((this.#lastExp.get(kid) ?? 0) < exp) this.#lastExp.set(kid, exp);
  }

  publicKey(kid: string): PublicKey | undefined {
    const k = this.#public.get(kid);
    return k && (k.retiresAt === null || k.retiresAt > this.now()) ? k : undefined;
  }

  /**
   * The JWKS document as JSON: the key that signs now first, then keys
   * scheduled to sign (soonest first), then the others, the last to leave first.
   * Verifiers that take the first key, though they should match the kid,
   * then take the right one. Rebuilt when a key leaves or the signer changes.
   */
  jwks(): string {
    const now = this.now();
    if (this.#jwks && now < this.#jwks.validUntil) return this.#jwks.json;
    const signingKid = this.#signingAt(now)?.kid;
    const live = [...this.#public.values()].filter((k) => k.retiresAt === null || k.retiresAt > now);
    const rank = (k: PublicKey) => (k.kid === signingKid ? 0 : k.activatesAt > now ? 1 : 2);
    const leaves = (k: PublicKey) => k.retiresAt ?? Number.MAX_SAFE_INTEGER;
    // Stable: ties keep the store's order, newest activation first.
    live.sort(
      (a, b) =>
        rank(a) - rank(b) ||
        (rank(a) === 1 ? a.activatesAt - b.activatesAt : rank(a) === 2 ? leaves(b) - leaves(a) : 0),
    );
    let validUntil = this.#signingValidUntil;
    for (const k of live) {
      if (k.retiresAt !== null) validUntil = Math.min(validUntil, k.retiresAt);
      if (k.activatesAt > now) validUntil = Math.min(validUntil, k.activatesAt);
    }
    const json = JSON.stringify({ keys: live.map((k) => k.jwk) });
    this.#jwks = { json, validUntil };
    return json;
  }

  /**
   * A new key signs from now on. Every other key stays published until every
   * token it can have signed has expired: now + the longest token lifetime a
   * client has, or the latest expiry this node signed, whichever is later.
   * `by`: who asked (the admin API), recorded in the audit log with the key.
   */
  async rotate(activatesAt = this.now(), by?: AuditOrigin): Promise<JWK> {
    const { publicKey, privateKey } = await ALGORITHMS[this.alg].generate();
    const jwk = publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(jwk);
    const publicJwk: JWK = { ...jwk, kid, alg: this.alg, use: 'sig' };
    const now = this.now();
    const lastSigned = Math.max(0, ...this.#lastExp.values()) * 1000;
    // The current key signs until the new one activates, then stays published until its last token expires.
    const longestTtlMs = (await this.store.maxAccessTokenTtl()) * 1000;
    const retireOthersAt = Math.max(activatesAt + longestTtlMs, lastSigned) + 1000;
    const record: SigningKeyRecord = {
      kid,
      alg: this.alg,
      publicJwk: JSON.stringify(publicJwk),
      sealedPrivateKey: this.sealer.seal(privateKey.export({ format: 'der', type: 'pkcs8' }), keyContext(kid)),
      createdAt: now,
      activatesAt,
      retiresAt: null,
    };
    const audit = by && { at: now, action: 'key.rotate' as const, target: kid, actor: by.actor, address: by.address };
    await this.store.rotateSigningKey(record, retireOthersAt, now, audit);
    await this.reload();
    this.feed.publish({ kind: 'keys' });
    return publicJwk;
  }

  list(): PublicKey[] {
    return [...this.#public.values()];
  }
}

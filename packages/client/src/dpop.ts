import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  randomUUID,
  sign,
} from 'node:crypto';
import type { CryptoKey, JWK } from 'jose';
import { TokenClientConfigError } from './errors.js';

/** A key pair for DPoP proofs: node KeyObjects, a WebCrypto CryptoKeyPair, or a private JWK. */
export interface DpopKeyPair {
  privateKey: KeyObject | CryptoKey | JWK;
  /** Optional: derived from the private key when left out. */
  publicKey?: KeyObject | CryptoKey | JWK;
}

/** `true`: a fresh ES256 key for this client instance; or a key pair of your own, and optionally its `alg`. */
export type DpopOption = true | (DpopKeyPair & { alg?: DpopAlgorithm });

export type DpopAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'PS256' | 'RS256' | 'EdDSA';

/** Most origins whose last DPoP nonce is remembered. */
const MAX_NONCES = 256;

/**
 * Makes DPoP proofs (RFC 9449 §4) with one key per client instance. The
 * private key stays a KeyObject in this process's memory: it is never
 * exported, logged or sent. Also remembers the last `DPoP-Nonce` each
 * origin sent (§8.2, §9), to put in the next proof for it.
 */
export class DpopProver {
  readonly alg: DpopAlgorithm;
  /** RFC 7638 thumbprint of the public key: the `cnf.jkt` of tokens bound to it. */
  readonly jkt: string;
  readonly #privateKey: KeyObject;
  readonly #header: string;
  readonly #nonces = new Map<string, string>();

  constructor(option: DpopOption) {
    const privateKey =
      option === true ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey : toPrivateKey(option.privateKey);
    const alg = option === true ? 'ES256' : (option.alg ?? inferAlg(privateKey));
    checkKeyFits(alg, privateKey);
    const jwk = publicJwk(privateKey);
    this.alg = alg;
    this.jkt = thumbprint(jwk);
    this.#privateKey = privateKey;
    this.#header = encode({ typ: 'dpop+jwt', alg, jwk });
  }

  /** A proof for one request; `accessToken` adds `ath` (resource requests), `nonce` defaults to the origin's last. */
  proof(htm: string, url: string, nowMs: number, accessToken?: string): string {
    const target = new URL(url);
    const htu = `${target.origin}${target.pathname}`;
    const nonce = this.#nonces.get(target.origin);
    const claims: Record<string, unknown> = { jti: randomUUID(), htm, htu, iat: Math.floor(nowMs / 1000) };
    if (accessToken !== undefined) claims.ath = createHash('sha256').update(accessToken).digest('base64url');
    if (nonce !== undefined) claims.nonce = nonce;
    const input = `${this.#header}.${encode(claims)}`;
    return `${input}.${this.#sign(Buffer.from(input)).toString('base64url')}`;
  }

  /** Keeps the `DPoP-Nonce` an origin sent; returns whether it differs from the one already used. */
  rememberNonce(url: string, nonce: string | null): boolean {
    // RFC 9449 §8.1: the nonce is opaque NQCHAR (%x21 / %x23-5B / %x5D-7E); anything else is not put in a proof.
    if (nonce === null || !/^[\x21\x23-\x5B\x5D-\x7E]{1,1024}$/.test(nonce)) return false;
    const origin = new URL(url).origin;
    if (this.#nonces.get(origin) === nonce) return false;
    if (this.#nonces.size >= MAX_NONCES && !this.#nonces.has(origin)) {
      const oldest = this.#nonces.keys().next();
      if (!oldest.done) this.#nonces.delete(oldest.value);
    }
    this.#nonces.set(origin, nonce);
    return true;
  }

  #sign(data: Buffer): Buffer {
    switch (this.alg) {
      case 'ES256':
      case 'ES384':
      case 'ES512':
        return sign(`sha${this.alg.slice(2)}`, data, { key: this.#privateKey, dsaEncoding: 'ieee-p1363' });
      case 'PS256':
        return sign('sha256', data, {
          key: this.#privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 32,
        });
      case 'RS256':
        return sign('sha256', data, this.#privateKey);
      default:
        return sign(null, data, this.#privateKey);
    }
  }
}

function toPrivateKey(key: KeyObject | CryptoKey | JWK): KeyObject {
  try {
    if (key instanceof KeyObject) return key.type === 'private' ? key : invalid();
    if (typeof (key as JWK).kty === 'string') {
      if (typeof (key as JWK).d !== 'string') invalid();
      return createPrivateKey({ key: key as JWK & { kty: string }, format: 'jwk' });
    }
    // A WebCrypto key, extractable or not: Node can use it without exporting it.
    const object = KeyObject.from(key as Parameters<typeof KeyObject.from>[0]);
    return object.type === 'private' ? object : invalid();
  } catch (error) {
    if (error instanceof TokenClientConfigError) throw error;
    throw new TokenClientConfigError('dpop.privateKey is not a usable private key', { cause: error });
  }
}

function invalid(): never {
  throw new TokenClientConfigError('dpop.privateKey must be a private key');
}

function inferAlg(key: KeyObject): DpopAlgorithm {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (curve === 'prime256v1' || curve === 'P-256') return 'ES256';
      if (curve === 'secp384r1' || curve === 'P-384') return 'ES384';
      if (curve === 'secp521r1' || curve === 'P-521') return 'ES512';
      break;
    case 'ed25519':
      return 'EdDSA';
    case 'rsa':
    case 'rsa-pss':
      return 'PS256';
  }
  throw new TokenClientConfigError('dpop.privateKey must be an EC (P-256/384/521), Ed25519 or RSA key');
}

function checkKeyFits(alg: DpopAlgorithm, key: KeyObject): void {
  const type = key.asymmetricKeyType;
  const fits =
    alg === 'EdDSA'
      ? type === 'ed25519'
      : alg.startsWith('ES')
        ? type === 'ec' && inferAlg(key) === alg
        : (type === 'rsa' || type === 'rsa-pss') && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
  if (!fits) throw new TokenClientConfigError(`dpop.privateKey cannot sign ${alg}`);
}

/** Only the public members: the header must never carry a private one. */
function publicJwk(privateKey: KeyObject): JWK {
  const { kty, crv, x, y, n, e } = createPublicKey(privateKey).export({ format: 'jwk' });
  if (kty === 'RSA') return { kty, n, e };
  if (kty === 'EC') return { kty, crv, x, y };
  return { kty, crv, x } as JWK;
}

/** RFC 7638: the required members in lexicographic order, SHA-256, base64url. */
function thumbprint(jwk: JWK): string {
  const canonical =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : jwk.kty === 'EC'
        ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
        : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

import { constants, createPublicKey, type KeyObject, type VerifyKeyObjectInput, verify } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { BoundedCache } from '../clients/bounded-cache.js';

/** A proof's public key, ready to verify with, and its RFC 7638 thumbprint. */
export interface ProofKey {
  /** Verifies a JWS signing input and signature, synchronously; false on any mismatch. */
  readonly verify: (data: Buffer, signature: Buffer) => boolean;
  readonly jkt: string;
}

/** The members RFC 7638 §3.2 hashes, per key type: all that makes the key what it is. */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING };
/** node:crypto's parameters per JWS algorithm (RFC 7518 §3, RFC 8037 §3.1, RFC 9864). */
const VERIFY_PARAMS: Readonly<Record<string, { hash: string | null; options: Partial<VerifyKeyObjectInput> }>> = {
  ES256: { hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  ES384: { hash: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
  ES512: { hash: 'sha512', options: { dsaEncoding: 'ieee-p1363' } },
  RS256: { hash: 'sha256', options: {} },
  RS384: { hash: 'sha384', options: {} },
  RS512: { hash: 'sha512', options: {} },
  PS256: { hash: 'sha256', options: { ...PSS, saltLength: 32 } },
  PS384: { hash: 'sha384', options: { ...PSS, saltLength: 48 } },
  PS512: { hash: 'sha512', options: { ...PSS, saltLength: 64 } },
  EdDSA: { hash: null, options: {} },
  Ed25519: { hash: null, options: {} },
};

/** RFC 7518 §3.3, §3.5: RSA keys of at least 2048 bits. */
const MIN_RSA_BITS = 2048;

/**
 * Keys seen in recent proofs. A client signs every proof with the same key,
 * and importing it (and hashing its thumbprint) cost more than verifying the
 * signature. Keyed by the algorithm and the key's RFC 7638 members, so a hit
 * is the very key the proof carries. Filled only after client
 * authentication (the proof is checked then), and bounded.
 */
const cache = new BoundedCache<string, ProofKey>(10_000);

/**
 * The key of a proof's `jwk` header for `alg`, made from its required
 * members alone (what else a JWK says, `use`, `key_ops`, `alg`, the caller
 * has checked). Throws when the members make no usable public key.
 *
 * Signatures are verified with node:crypto on a KeyObject, as Tessera's own
 * tokens are (tokens/jws-algorithms.ts): jose's WebCrypto path hands each
 * verification to the thread pool and back. ES256, 3,000 proofs, one key,
 * on the shared development machine: jose's jwtVerify with the embedded JWK
 * 390–710 µs a proof, with the key imported once 180–230 µs, node:crypto on
 * a cached KeyObject 100–140 µs.
 */
export function proofKey(alg: string, jwk: Readonly<Record<string, unknown>>): ProofKey | Promise<ProofKey> {
  const members = REQUIRED_MEMBERS[jwk.kty as string];
  const params = VERIFY_PARAMS[alg];
  if (members === undefined || params === undefined) throw new TypeError('unsupported key type or algorithm');
  const canonical: Record<string, string> = {};
  for (const m of members) {
    const value = jwk[m];
    if (typeof value !== 'string') throw new TypeError(`jwk member ${m} is not a string`);
    canonical[m] = value;
  }
  // The thumbprint's own input (RFC 7638 §3.3: required members, sorted, no whitespace).
  const id = `${alg} ${JSON.stringify(canonical)}`;
  return cache.get(id, 0) ?? makeProofKey(id, params, canonical);
}

async function makeProofKey(
  id: string,
  params: { hash: string | null; options: Partial<VerifyKeyObjectInput> },
  jwk: Record<string, string>,
): Promise<ProofKey> {
  const key: KeyObject = createPublicKey({ key: jwk, format: 'jwk' });
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw new TypeError(`RSA keys must have at least ${MIN_RSA_BITS} bits`);
  }
  const input = { ...params.options, key } as VerifyKeyObjectInput;
  const entry: ProofKey = {
    verify(data, signature) {
      try {
        return verify(params.hash, data, input, signature);
      } catch {
        return false;
      }
    },
    jkt: await calculateJwkThumbprint(jwk as JWK, 'sha256'),
  };
  cache.set(id, entry);
  return entry;
}

import { calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import { BoundedCache } from '../clients/bounded-cache.js';

/** A proof's public key, ready to verify with, and its RFC 7638 thumbprint. */
export interface ProofKey {
  readonly key: Awaited<ReturnType<typeof importJWK>>;
  readonly jkt: string;
}

/** The members RFC 7638 §3.2 hashes, per key type: all that makes the key what it is. */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/**
 * Keys seen in recent proofs. A client signs every proof with the same key,
 * and importing it (and hashing its thumbprint) cost more than verifying the
 * signature: 390 against 180 µs a proof for ES256 through jose, measured on
 * the shared development machine. Keyed by the algorithm and the key's
 * RFC 7638 members, so a hit is the very key the proof carries. Filled only
 * after client authentication (the proof is checked then), and bounded.
 */
const cache = new BoundedCache<string, ProofKey>(10_000);

/**
 * The key of a proof's `jwk` header for `alg`, imported from its required
 * members alone (what else a JWK says, `use`, `key_ops`, `alg`, the caller
 * has checked). Throws when jose cannot import it.
 */
export function proofKey(alg: string, jwk: Readonly<Record<string, unknown>>): ProofKey | Promise<ProofKey> {
  const members = REQUIRED_MEMBERS[jwk.kty as string];
  if (members === undefined) throw new TypeError('unsupported key type');
  const canonical: Record<string, unknown> = {};
  for (const m of members) {
    if (typeof jwk[m] !== 'string') throw new TypeError(`jwk member ${m} is not a string`);
    canonical[m] = jwk[m];
  }
  // The thumbprint's own input (RFC 7638 §3.3: required members, sorted, no whitespace).
  const id = `${alg} ${JSON.stringify(canonical)}`;
  return cache.get(id, 0) ?? importProofKey(id, alg, canonical as JWK);
}

async function importProofKey(id: string, alg: string, jwk: JWK): Promise<ProofKey> {
  const entry = { key: await importJWK(jwk, alg), jkt: await calculateJwkThumbprint(jwk, 'sha256') };
  cache.set(id, entry);
  return entry;
}

import { constants, createPublicKey, type KeyObject, verify } from 'node:crypto';

/**
 * The JWS algorithms a verifier accepts (RFC 8725 §3.1: an explicit
 * allow-list; never `none`, never HMAC, which would let a public key be
 * used as a shared secret). `Ed25519` is RFC 9864's fully specified name.
 */
export const ALLOWED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export type JwsAlgorithm = (typeof ALLOWED_ALGORITHMS)[number];

interface AlgSpec {
  kty: 'RSA' | 'EC' | 'OKP';
  /** Digest for node:crypto; null for EdDSA, which hashes internally. */
  hash: string | null;
  crv?: string;
  pss?: number;
}

const SPECS: Record<JwsAlgorithm, AlgSpec> = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  // RFC 7518 §3.5: the salt is as long as the digest.
  PS256: { kty: 'RSA', hash: 'sha256', pss: 32 },
  PS384: { kty: 'RSA', hash: 'sha384', pss: 48 },
  PS512: { kty: 'RSA', hash: 'sha512', pss: 64 },
  ES256: { kty: 'EC', hash: 'sha256', crv: 'P-256' },
  ES384: { kty: 'EC', hash: 'sha384', crv: 'P-384' },
  ES512: { kty: 'EC', hash: 'sha512', crv: 'P-521' },
  EdDSA: { kty: 'OKP', hash: null },
  Ed25519: { kty: 'OKP', hash: null, crv: 'Ed25519' },
};

const MIN_RSA_BITS = 2048;

export function isAllowedAlgorithm(alg: unknown): alg is JwsAlgorithm {
  return typeof alg === 'string' && Object.hasOwn(SPECS, alg);
}

/** A published key, turned once into a KeyObject with its verify options ready. */
export interface VerificationKey {
  readonly kid: string | undefined;
  readonly kty: 'RSA' | 'EC' | 'OKP';
  /** The algorithm the key is bound to, when its JWK (or curve) fixes one. */
  readonly alg: JwsAlgorithm | undefined;
  readonly crv: string | undefined;
  readonly keyObject: KeyObject;
  /** Verify inputs per algorithm, built once so the hot path allocates none. */
  readonly inputs: Map<
    JwsAlgorithm,
    KeyObject | { key: KeyObject; padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' }
  >;
}

/**
 * Imports one JWK from a JWKS, or returns undefined for a key a verifier must
 * not use: not a signing key, a symmetric or private-only key, an algorithm
 * outside the allow-list, or an RSA modulus below 2048 bits.
 */
export function importJwk(jwk: Record<string, unknown>): VerificationKey | undefined {
  const { kty, kid, alg, crv, use } = jwk;
  if (use !== undefined && use !== 'sig') return undefined;
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return undefined;
  if (alg !== undefined && !isAllowedAlgorithm(alg)) return undefined;
  if (kid !== undefined && typeof kid !== 'string') return undefined;
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: publicMembers(jwk), format: 'jwk' });
  } catch {
    return undefined;
  }
  let bound: JwsAlgorithm | undefined = alg;
  if (kty === 'RSA') {
    if ((keyObject.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return undefined;
  } else if (kty === 'EC') {
    bound ??= crv === 'P-256' ? 'ES256' : crv === 'P-384' ? 'ES384' : crv === 'P-521' ? 'ES512' : undefined;
    if (!bound || SPECS[bound].crv !== crv) return undefined;
  } else if (kty === 'OKP') {
    if (crv !== 'Ed25519' && crv !== 'Ed448') return undefined;
    if (bound === 'Ed25519' && crv !== 'Ed25519') return undefined;
  } else {
    return undefined;
  }
  if (bound && SPECS[bound].kty !== kty) return undefined;
  return {
    kid,
    kty,
    alg: bound,
    crv: typeof crv === 'string' ? crv : undefined,
    keyObject,
    inputs: new Map(),
  };
}

/**
 * Whether a token may claim `alg` for this key. The key decides: a JWK with
 * `alg` accepts only that; otherwise the key type and curve narrow it.
 */
export function algorithmFitsKey(alg: string, key: VerificationKey): alg is JwsAlgorithm {
  if (!isAllowedAlgorithm(alg)) return false;
  if (key.alg !== undefined) {
    // RFC 9864 names the same Ed25519 signature two ways.
    return alg === key.alg || (key.crv === 'Ed25519' && (alg === 'EdDSA' || alg === 'Ed25519'));
  }
  const spec = SPECS[alg];
  return spec.kty === key.kty && (spec.crv === undefined || spec.crv === key.crv);
}

export function verifySignature(
  alg: JwsAlgorithm,
  key: VerificationKey,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  let input = key.inputs.get(alg);
  if (input === undefined) {
    input = verifyInput(alg, key.keyObject);
    key.inputs.set(alg, input);
  }
  try {
    return verify(SPECS[alg].hash, data, input, signature);
  } catch {
    // node:crypto throws on some malformed signatures rather than answering false.
    return false;
  }
}

function verifyInput(alg: JwsAlgorithm, keyObject: KeyObject) {
  const spec = SPECS[alg];
  if (spec.pss !== undefined)
    return { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.pss } as const;
  if (spec.kty === 'EC') return { key: keyObject, dsaEncoding: 'ieee-p1363' } as const;
  return keyObject;
}

/** Only the public members, so a JWKS that leaks a private key still yields a public KeyObject. */
function publicMembers(jwk: Record<string, unknown>) {
  const { kty, n, e, crv, x, y } = jwk;
  if (kty === 'RSA') return { kty, n, e } as { kty: string; n: string; e: string };
  if (kty === 'EC') return { kty, crv, x, y } as { kty: string; crv: string; x: string; y: string };
  return { kty, crv, x } as { kty: string; crv: string; x: string };
}

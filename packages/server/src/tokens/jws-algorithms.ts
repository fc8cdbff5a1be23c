import { constants, generateKeyPair, type KeyObject, type SignKeyObjectInput, sign, verify } from 'node:crypto';
import { promisify } from 'node:util';
import type { SigningAlg } from '../config/load-config.js';

/**
 * node:crypto parameters per JWS algorithm (RFC 7518, RFC 8037). Signing and
 * verifying our own tokens is the hot path, so it runs on KeyObjects rather
 * than through a generic JOSE layer.
 */
interface AlgSpec {
  hash: string | null;
  keyOptions: { padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' };
  generate: () => Promise<{ publicKey: KeyObject; privateKey: KeyObject }>;
}

const generateKeyPairAsync = promisify(generateKeyPair);
const rsa = () => generate('rsa', { modulusLength: 2048 });

export const ALGORITHMS: Record<SigningAlg, AlgSpec> = {
  RS256: { hash: 'sha256', keyOptions: {}, generate: rsa },
  PS256: {
    hash: 'sha256',
    keyOptions: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    generate: rsa,
  },
  ES256: {
    hash: 'sha256',
    keyOptions: { dsaEncoding: 'ieee-p1363' },
    generate: () => generate('ec', { namedCurve: 'P-256' }),
  },
  EdDSA: { hash: null, keyOptions: {}, generate: () => generate('ed25519', {}) },
};

export function isSigningAlg(alg: unknown): alg is SigningAlg {
  return typeof alg === 'string' && Object.hasOwn(ALGORITHMS, alg);
}

/** What node:crypto's sign() takes for one key: made once per key, not once per token. */
export interface JwsSigner {
  hash: string | null;
  options: SignKeyObjectInput;
}

export function jwsSigner(alg: SigningAlg, key: KeyObject): JwsSigner {
  const spec = ALGORITHMS[alg];
  return { hash: spec.hash, options: { key, ...spec.keyOptions } };
}

export function signJws(signer: JwsSigner, data: Buffer): Buffer {
  return sign(signer.hash, data, signer.options);
}

export function verifyJws(alg: SigningAlg, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  const spec = ALGORITHMS[alg];
  try {
    return verify(spec.hash, data, { key, ...spec.keyOptions }, signature);
  } catch {
    return false;
  }
}

function generate(
  type: 'rsa' | 'ec' | 'ed25519',
  options: { modulusLength?: number; namedCurve?: string },
): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  // The overloads of generateKeyPair are keyed on literal types; this one call site covers the three we use.
  return generateKeyPairAsync(type as 'rsa', options as { modulusLength: number });
}

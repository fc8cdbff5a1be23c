import { KeyObject as NodeKeyObject, randomUUID } from 'node:crypto';
import { type CryptoKey, importJWK, type JWK, type KeyObject, SignJWT } from 'jose';
import { TokenClientConfigError } from './errors.js';

/** RFC 7523 §2.2 */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The claims of a client assertion (RFC 7523 §3), handed to a custom signer. */
export interface ClientAssertionClaims {
  iss: string;
  sub: string;
  aud: string;
  jti: string;
  iat: number;
  exp: number;
}

/** Signs client assertions elsewhere (a KMS, an HSM): returns the compact JWS. */
export type ClientAssertionSigner = (claims: ClientAssertionClaims) => Promise<string> | string;

export type PrivateKeyInput = KeyObject | CryptoKey | JWK;

export function assertionClaims(clientId: string, audience: string, nowMs: number, lifetime: number) {
  const iat = Math.floor(nowMs / 1000);
  // A fresh jti every time: servers keep used ones and refuse a replay (RFC 7523 §3 item 7).
  return { iss: clientId, sub: clientId, aud: audience, jti: randomUUID(), iat, exp: iat + lifetime };
}

export async function signAssertion(
  claims: ClientAssertionClaims,
  key: KeyObject | CryptoKey | Uint8Array,
  alg: string,
  kid: string | undefined,
): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader(kid === undefined ? { alg, typ: 'JWT' } : { alg, kid, typ: 'JWT' })
    .sign(key);
}

const curveAlgs: Record<string, string> = {
  'P-256': 'ES256',
  prime256v1: 'ES256',
  'P-384': 'ES384',
  secp384r1: 'ES384',
  'P-521': 'ES512',
  secp521r1: 'ES512',
};

/** The signing algorithm a private key implies, when the caller did not name one. */
export function inferAlgorithm(key: PrivateKeyInput): string {
  const alg = isJwk(key) ? jwkAlgorithm(key) : isCryptoKey(key) ? cryptoKeyAlgorithm(key) : keyObjectAlgorithm(key);
  if (!alg) throw new TokenClientConfigError('cannot tell the signing algorithm of privateKey; set signingAlgorithm');
  return alg;
}

function jwkAlgorithm(jwk: JWK): string | undefined {
  if (jwk.alg) return jwk.alg;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return curveAlgs[jwk.crv ?? ''];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

function cryptoKeyAlgorithm(key: CryptoKey): string | undefined {
  const algorithm = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
  const bits = algorithm.hash?.name.replace('SHA-', '');
  if (algorithm.name === 'RSASSA-PKCS1-v1_5') return `RS${bits}`;
  if (algorithm.name === 'RSA-PSS') return `PS${bits}`;
  if (algorithm.name === 'ECDSA') return curveAlgs[algorithm.namedCurve ?? ''];
  if (algorithm.name === 'Ed25519') return 'EdDSA';
  return undefined;
}

function keyObjectAlgorithm(key: KeyObject): string | undefined {
  const object = key as unknown as { asymmetricKeyType?: string; asymmetricKeyDetails?: { namedCurve?: string } };
  if (object.asymmetricKeyType === 'rsa') return 'RS256';
  if (object.asymmetricKeyType === 'rsa-pss') return 'PS256';
  if (object.asymmetricKeyType === 'ec') return curveAlgs[object.asymmetricKeyDetails?.namedCurve ?? ''];
  if (object.asymmetricKeyType === 'ed25519') return 'EdDSA';
  return undefined;
}

function isCryptoKey(key: PrivateKeyInput): key is CryptoKey {
  return !(key instanceof NodeKeyObject) && !isJwk(key);
}

export function isJwk(key: PrivateKeyInput): key is JWK {
  return !(key instanceof NodeKeyObject) && typeof (key as JWK).kty === 'string';
}

/** A JWK is imported once, not on every assertion. */
export async function resolveSigningKey(key: PrivateKeyInput, alg: string): Promise<KeyObject | CryptoKey> {
  if (!isJwk(key)) return key;
  if (typeof key.d !== 'string')
    throw new TokenClientConfigError('privateKey is a public JWK; a private one is needed');
  try {
    return (await importJWK(key, alg)) as KeyObject | CryptoKey;
  } catch (error) {
    throw new TokenClientConfigError(`privateKey cannot sign ${alg}`, { cause: error });
  }
}

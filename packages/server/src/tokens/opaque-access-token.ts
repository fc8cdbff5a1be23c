import { randomUUID } from 'node:crypto';
import { randomToken } from '../crypto/random.js';
import type { SecretHasher } from '../crypto/secret-hasher.js';
import type { OpaqueTokenRecord, TokenStore } from '../store/types.js';
import type { Grant, IssuedToken, TokenClaims } from './access-token.js';

/** Recognisable prefix, so secret scanners can find leaked tokens. */
export const OPAQUE_TOKEN_PREFIX = 'tessera_at_';

/**
 * Opaque reference tokens: 256 random bits; the store keeps only a keyed
 * hash with the token's metadata (a database dump yields no usable token).
 */
export async function issueOpaque(
  store: TokenStore,
  hasher: SecretHasher,
  grant: Grant,
  nowMs: number,
): Promise<IssuedToken> {
  const accessToken = OPAQUE_TOKEN_PREFIX + randomToken(32);
  const iat = Math.floor(nowMs / 1000);
  await store.insertOpaqueToken({
    hash: hasher.digest(accessToken),
    clientId: grant.clientId,
    jti: randomUUID(),
    scope: grant.scopes.join(' '),
    audience: grant.audience,
    iat,
    exp: iat + grant.ttl,
  });
  return { accessToken, expiresIn: grant.ttl, alg: 'none' };
}

export function looksOpaque(token: string): boolean {
  return token.startsWith(OPAQUE_TOKEN_PREFIX) && token.length < 200;
}

export async function readOpaque(
  store: TokenStore,
  hasher: SecretHasher,
  issuer: string,
  token: string,
  nowMs: number,
): Promise<(TokenClaims & { hash: string }) | undefined> {
  const t = await findOpaque(store, hasher, token);
  if (!t || t.exp <= Math.floor(nowMs / 1000)) return undefined;
  return {
    hash: t.hash,
    iss: issuer,
    sub: t.clientId,
    client_id: t.clientId,
    aud: t.audience.length === 0 ? undefined : t.audience.length === 1 ? t.audience[0] : t.audience,
    scope: t.scope,
    iat: t.iat,
    exp: t.exp,
    jti: t.jti,
  };
}

/**
 * By the current key's digest; only on a miss, and only while the encryption
 * key is being rotated, by each previous key's, so a token issued before the
 * switch is still found (and revoked by the hash it is stored under).
 */
async function findOpaque(
  store: TokenStore,
  hasher: SecretHasher,
  token: string,
): Promise<OpaqueTokenRecord | undefined> {
  const t = await store.getOpaqueToken(hasher.digest(token));
  if (t || !hasher.hasPreviousKeys) return t;
  for (const hash of hasher.previousDigests(token)) {
    const old = await store.getOpaqueToken(hash);
    if (old) return old;
  }
  return undefined;
}

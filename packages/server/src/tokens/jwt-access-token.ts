import type { SigningAlg } from '../config/load-config.js';
import { uuidV7 } from '../crypto/random.js';
import { isCanonicalCompactJws } from './base64url.js';
import { readChain } from './chain.js';
import {
  type Actor,
  CHAIN_CLAIM,
  type Confirmation,
  type GrantedToken,
  type IssuedToken,
  type TokenClaims,
  type TokenStatus,
} from './granted-token.js';
import { verifyJws } from './jws-algorithms.js';
import { jwtClaimsJson } from './jwt-claims.js';
import { lifetime } from './lifetime.js';
import type { SigningKeys } from './signing-keys.js';

/**
 * JWT access tokens (RFC 9068), signed with the current key. Runs
 * synchronously on node:crypto: no store access, no async hop.
 */
export function issueJwt(
  keys: SigningKeys,
  issuer: string,
  token: GrantedToken,
  nowMs: number,
  /** The `status` claim's JSON (status/status-lists.ts), with its leading comma; '' for none. */
  status = '',
): IssuedToken {
  const key = keys.current();
  const iat = Math.floor(nowMs / 1000);
  const ttl = lifetime(token, iat);
  const exp = iat + ttl;
  const payload = Buffer.from(jwtClaimsJson(issuer, token, iat, exp, uuidV7(nowMs), status)).toString('base64url');
  const signingInput = `${key.encodedHeader}.${payload}`;
  const signature = keys.sign(key, Buffer.from(signingInput));
  keys.noteSigned(key.kid, exp);
  return { accessToken: `${signingInput}.${signature.toString('base64url')}`, expiresIn: ttl, alg: key.alg };
}

/**
 * Checks a JWT that claims to be ours: structure (written exactly as we
 * write it: canonical base64url), `typ`, a known key, its signature, issuer
 * and time window. Returns its claims, or undefined for
 * anything else (introspection answers those with `active: false`).
 */
export function readOwnJwt(keys: SigningKeys, issuer: string, token: string, nowMs: number): TokenClaims | undefined {
  if (!isCanonicalCompactJws(token)) return undefined;
  const parts = token.split('.');
  const [h, p, s] = parts as [string, string, string];
  const header = parseSegment(h);
  if (header?.typ !== 'at+jwt' || typeof header.kid !== 'string') return undefined;
  const key = keys.publicKey(header.kid);
  // The algorithm comes from our key, never from the token (RFC 8725 §3.1).
  if (!key || header.alg !== key.alg) return undefined;
  if (!verifyJws(key.alg as SigningAlg, key.key, Buffer.from(`${h}.${p}`), Buffer.from(s, 'base64url')))
    return undefined;
  const c = parseSegment(p);
  if (!c || c.iss !== issuer) return undefined;
  const now = Math.floor(nowMs / 1000);
  if (typeof c.exp !== 'number' || c.exp <= now) return undefined;
  if (typeof c.nbf === 'number' && c.nbf > now + 60) return undefined;
  if (typeof c.jti !== 'string' || typeof c.client_id !== 'string' || typeof c.iat !== 'number') return undefined;
  return {
    iss: c.iss,
    sub: String(c.sub),
    client_id: c.client_id,
    aud: c.aud as string | string[] | undefined,
    scope: typeof c.scope === 'string' ? c.scope : '',
    iat: c.iat,
    nbf: typeof c.nbf === 'number' ? c.nbf : undefined,
    exp: c.exp,
    jti: c.jti,
    act: isObject(c.act) ? (c.act as unknown as Actor) : undefined,
    cnf: isObject(c.cnf) ? (c.cnf as Confirmation) : undefined,
    chain: c[CHAIN_CLAIM] === undefined ? undefined : readChain(c[CHAIN_CLAIM]),
    status: readStatus(c.status),
  };
}

/** `status.status_list` as we write it; anything else reads as none (revocation then denylists the jti only). */
function readStatus(v: unknown): TokenStatus | undefined {
  if (!isObject(v) || !isObject(v.status_list)) return undefined;
  const { idx, uri } = v.status_list;
  return Number.isSafeInteger(idx) && (idx as number) >= 0 && typeof uri === 'string'
    ? { idx: idx as number, uri }
    : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Cheap shape test, used to route a token to the right reader. */
export function looksLikeJwt(token: string): boolean {
  return token.startsWith('ey') && token.split('.').length === 3;
}

function parseSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

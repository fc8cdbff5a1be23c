import { BoundedCache } from '../clients/bounded-cache.js';
import { type ActiveToken, type ActiveTokenDeps, readActiveToken, stillActive } from '../core/read-token.js';
import type { Actor, ChainLink } from '../tokens/granted-token.js';
import { looksLikeJwt, readOwnJwt } from '../tokens/jwt-access-token.js';

/** RFC 8693 §3: the token types a subject or actor token may be given as. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export type InputTokenType = typeof ACCESS_TOKEN_TYPE | typeof JWT_TOKEN_TYPE;

export function isInputTokenType(type: string): type is InputTokenType {
  return type === ACCESS_TOKEN_TYPE || type === JWT_TOKEN_TYPE;
}

/** What an exchange needs of an active subject (or actor) token, whoever issued it. */
export interface SubjectToken {
  readonly sub: string;
  /** The client it was issued to; undefined for a token another issuer made. */
  readonly clientId: string | undefined;
  /**
   * Space-delimited. Undefined when the token carries no `scope` at all (a
   * platform's token): it then bounds nothing. Ours always carry one, and
   * an empty one bounds the exchange to no scope.
   */
  readonly scope: string | undefined;
  /** Seconds. */
  readonly exp: number;
  readonly act: Actor | undefined;
  /** The token itself as a link of the chain (ours only: a foreign token cannot be revoked here), then its ancestors. */
  readonly chain: readonly ChainLink[];
}

/**
 * One kind of subject token. `read` answers undefined when the token is
 * not of its kind (the next reader is asked), or a promise of the token
 * when it is: undefined then means not active, which ends the search.
 */
export interface SubjectTokenReader {
  read(token: string, type: InputTokenType): Promise<SubjectToken | undefined> | undefined;
}

/**
 * Asks each reader in turn. Today there is one, for Tessera's own tokens;
 * issue 28's trusted issuers add theirs before it (it claims the JWTs whose
 * `iss` is a trusted issuer), and every other token stays with ours, which
 * finds a foreign one inactive.
 */
export function readSubjectToken(
  readers: readonly SubjectTokenReader[],
  token: string,
  type: InputTokenType,
): Promise<SubjectToken | undefined> {
  for (const reader of readers) {
    const read = reader.read(token, type);
    if (read !== undefined) return read;
  }
  return Promise.resolve(undefined);
}

/** How many verified subject JWTs are remembered: each is its token (under 1 KB) and its claims. */
const VERIFIED_JWTS = 4096;

interface Verified {
  /** The whole token: the cache is keyed by its signature, which hashes faster, and a hit must be this token. */
  readonly token: string;
  readonly claims: ActiveToken;
  readonly kid: string;
}

/** A JWT's signature segment (the whole string for anything else). */
const signatureOf = (token: string): string => token.slice(token.lastIndexOf('.') + 1);

/**
 * Tessera's own access tokens, JWT or opaque, read exactly as
 * introspection reads them (core/read-token.ts): signature or stored row,
 * issuer, expiry, the jti denylist, its client still there, and every
 * ancestor of an exchanged token still active. Given as `…:jwt`, the token
 * must be a JWT.
 *
 * A JWT's signature is checked once: a service exchanges the token it was
 * called with, and its caller sends the same token until it expires, so
 * the verified claims are kept for the exact token (a changed character
 * is verified afresh) until its `exp`, while its key is still ours. Verifying an ES256 signature cost about as much as issuing the new
 * token (a profile of 20,000 exchanges); what can change (the denylist, the
 * clients) is read every time.
 */
export function ownTokens(deps: ActiveTokenDeps): SubjectTokenReader {
  const verified = new BoundedCache<string, Verified>(VERIFIED_JWTS);
  const subjectOf = (t: ActiveToken): SubjectToken => ({
    sub: t.sub,
    clientId: t.client_id,
    scope: t.scope,
    exp: t.exp,
    act: t.act,
    chain: [{ jti: t.jti, client_id: t.client_id }, ...(t.chain ?? [])],
  });
  const verifyJwt = (token: string, now: number): ActiveToken | undefined => {
    const t = token.length < 16 * 1024 ? readOwnJwt(deps.keys, deps.issuer, token, now) : undefined;
    if (t === undefined) return undefined;
    const claims: ActiveToken = { ...t, format: 'jwt' };
    verified.set(signatureOf(token), { token, claims, kid: jwtKid(token) }, t.exp * 1000);
    return claims;
  };
  const activeSubject = (claims: ActiveToken, now: number) =>
    stillActive(deps, claims, now).then((active) => (active ? subjectOf(claims) : undefined));
  return {
    read(token, type) {
      const now = deps.now();
      // A JWT seen before answers first: the shape test splits the whole token.
      const hit = verified.get(signatureOf(token), now);
      if (hit !== undefined && hit.token === token && deps.keys.publicKey(hit.kid) !== undefined) {
        return activeSubject(hit.claims, now);
      }
      if (!looksLikeJwt(token)) {
        if (type === JWT_TOKEN_TYPE) return Promise.resolve(undefined);
        return readActiveToken(deps, token).then((t) => t && subjectOf(t));
      }
      const claims = verifyJwt(token, now);
      return claims === undefined ? Promise.resolve(undefined) : activeSubject(claims, now);
    },
  };
}

/** The `kid` of a JWT readOwnJwt accepted (so its header is JSON with a string kid). */
function jwtKid(token: string): string {
  const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
  return String(header.kid);
}

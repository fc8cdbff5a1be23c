import { type ActiveToken, type ActiveTokenDeps, readActiveToken, stillActive } from '../core/read-token.js';
import type { Actor, ChainLink } from '../tokens/granted-token.js';
import { looksLikeJwt } from '../tokens/jwt-access-token.js';

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
 * Asks each reader in turn: the trusted issuers' first (it claims the JWTs
 * whose `iss` is a trusted issuer, federation/platform-subject-tokens.ts),
 * then Tessera's own, which finds any other foreign token inactive.
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

/**
 * Tessera's own access tokens, JWT or opaque, read exactly as
 * introspection reads them (core/read-token.ts): signature (checked once
 * per token, tokens/verified-jwts.ts) or stored row, issuer, expiry, the
 * jti denylist, its client still there, and every ancestor of an exchanged
 * token still active. Given as `…:jwt`, the token must be a JWT.
 */
export function ownTokens(deps: ActiveTokenDeps): SubjectTokenReader {
  const subjectOf = (t: ActiveToken): SubjectToken => ({
    sub: t.sub,
    clientId: t.client_id,
    scope: t.scope,
    exp: t.exp,
    act: t.act,
    chain: [{ jti: t.jti, client_id: t.client_id }, ...(t.chain ?? [])],
  });
  return {
    read(token, type) {
      if (!looksLikeJwt(token)) {
        if (type === JWT_TOKEN_TYPE) return Promise.resolve(undefined);
        return readActiveToken(deps, token).then((t) => t && subjectOf(t));
      }
      const now = deps.now();
      const t = deps.verifiedJwts.read(token, now);
      if (t === undefined) return Promise.resolve(undefined);
      const claims: ActiveToken = { ...t, format: 'jwt' };
      return stillActive(deps, claims, now).then((active) => (active ? subjectOf(claims) : undefined));
    },
  };
}

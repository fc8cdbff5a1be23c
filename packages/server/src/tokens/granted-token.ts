/** RFC 8693 §4.1: who acts for the subject; an earlier actor nests inside. */
export interface Actor {
  readonly sub: string;
  readonly act?: Actor | undefined;
}

/** RFC 7800 confirmation: the key (DPoP, RFC 9449) or certificate (RFC 8705) a token is bound to. */
export interface Confirmation {
  readonly jkt?: string | undefined;
  readonly 'x5t#S256'?: string | undefined;
}

export type TokenFormat = 'jwt' | 'opaque';

/**
 * One ancestor of an exchanged token (RFC 8693): the token it was exchanged
 * from, that one's own subject token, and so on to the root. The token
 * carries them (the private claim `tessera_chain`, or its opaque row), so
 * revoking an ancestor reaches it through the jti denylist without any
 * write at issuance.
 */
export interface ChainLink {
  readonly jti: string;
  /** The ancestor's client: deleting it makes the descendants inactive too. */
  readonly client_id: string;
}

/** The private claim (and opaque row member) that carries a token's ancestors, nearest first. */
export const CHAIN_CLAIM = 'tessera_chain';

/**
 * What a grant decided a token says: the one shape every format, the token
 * response and introspection are built from (tokens/jwt-claims.ts,
 * opaque-token-row.ts, token-response.ts, introspection-answer.ts).
 */
export interface GrantedToken {
  /** The client the token is issued to (`client_id`). */
  readonly clientId: string;
  /** Whom the token is about (`sub`): the client itself, or the subject of an exchanged token. */
  readonly subject: string;
  /** The granted scopes, space-delimited, as the token and the response carry them. */
  readonly scope: string;
  /** The same, one per entry (the JWT's `scp`). */
  readonly scopes: readonly string[];
  /** Never empty: RFC 9068 §2.2 requires `aud`. */
  readonly audience: readonly string[];
  /** Seconds. */
  readonly ttl: number;
  /** The client's extra claims. */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly format: TokenFormat;
  readonly act?: Actor | undefined;
  /** Ancestors of an exchanged token, nearest first; undefined for any other token. */
  readonly chain?: readonly ChainLink[] | undefined;
  /** The latest `exp` (seconds) the token may have, whatever its ttl: an exchanged token's subject's `exp`. */
  readonly notAfter?: number | undefined;
  /** RFC 8693 §2.2.1 `issued_token_type`, for a token exchange's response; undefined for other grants. */
  readonly issuedTokenType?: string | undefined;
  /** Set by a sender-constraining step after the grant, when the request proves a key. */
  cnf?: Confirmation | undefined;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  /** What signed it: a JWS algorithm, or 'none' for an opaque token (a metrics label). */
  alg: string;
}

/** draft-ietf-oauth-status-list: where a JWT's status is kept (`status.status_list`). */
export interface TokenStatus {
  readonly idx: number;
  readonly uri: string;
}

/** The claims of an active token, as introspection (RFC 7662) reports them. */
export interface TokenClaims {
  iss: string;
  sub: string;
  client_id: string;
  aud: string | string[] | undefined;
  scope: string;
  iat: number;
  nbf?: number | undefined;
  exp: number;
  jti: string;
  act?: Actor | undefined;
  cnf?: Confirmation | undefined;
  /** Ancestors, for an exchanged token (never reported by introspection). */
  chain?: readonly ChainLink[] | undefined;
  /** A JWT's status list entry (never reported by introspection): revocation sets it. */
  status?: TokenStatus | undefined;
}

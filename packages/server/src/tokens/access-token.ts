/** What a client was granted: the input of either token format. */
export interface Grant {
  clientId: string;
  /** The granted scopes, space-delimited, as the token and the response carry them. */
  scope: string;
  /** The same, one per entry (the JWT's `scp`). */
  scopes: string[];
  audience: string[];
  /** Seconds. */
  ttl: number;
  /** The client's extra claims. */
  claims: Record<string, unknown>;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  /** What signed it: a JWS algorithm, or 'none' for an opaque token (a metrics label). */
  alg: string;
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
}

/**
 * RFC 8693 §4.1: the party acting for the subject; a nested `act` is the
 * party that acted before it (for a token exchanged twice, `act.act`).
 */
export interface ActorClaim {
  sub: string;
  act?: ActorClaim;
  [claim: string]: unknown;
}

/** The claims of an RFC 9068 access token (or an RFC 7662 introspection answer). */
export interface AccessTokenClaims {
  /** Set on a token obtained by token exchange: who acts for `sub`. */
  act?: ActorClaim;
  /** Confirmation (RFC 7800): `jkt` for DPoP (RFC 9449), `x5t#S256` for certificates (RFC 8705). */
  cnf?: { jkt?: string; 'x5t#S256'?: string; [member: string]: unknown };
  iss: string;
  sub: string;
  client_id: string;
  aud?: string | string[];
  exp: number;
  iat?: number;
  nbf?: number;
  jti?: string;
  scope?: string;
  scp?: string[] | string;
  [claim: string]: unknown;
}

/** What a resource server learns from a valid access token. */
export interface VerifiedToken {
  /** The OAuth client the token was issued to (`client_id`). */
  readonly clientId: string;
  /** `sub`: for client credentials, the client itself. */
  readonly subject: string;
  readonly scopes: readonly string[];
  /**
   * Who calls on the subject's behalf: `act.sub` of an exchanged token
   * (RFC 8693 §4.1), undefined for a token the subject got itself.
   */
  readonly actor: string | undefined;
  /**
   * Every actor, outermost first: `[act.sub, act.act.sub, …]`, the current
   * actor then the ones before it, back to the first to delegate. Empty
   * without `act`. Its length is the delegation depth.
   */
  readonly actorChain: readonly string[];
  /** `aud`, always as an array. */
  readonly audience: readonly string[];
  readonly issuer: string;
  readonly expiresAt: Date;
  /** `jwt` when checked locally, `opaque` when the issuer answered by introspection. */
  readonly format: 'jwt' | 'introspected';
  readonly claims: Readonly<AccessTokenClaims>;
  /**
   * The token's entry in its issuer's status list (`status.status_list`,
   * draft-ietf-oauth-status-list), when it has one and status lists are
   * on. It is checked on every verification, the cached ones included.
   */
  readonly status?: TokenStatusReference;
  /** Set when the token is DPoP-bound (`cnf.jkt`) and came with a valid proof for this request. */
  readonly dpop?: DpopConfirmation;
  /** Set when the token is certificate-bound: the `x5t#S256` the client's certificate matched. */
  readonly certificateThumbprint?: string;
}

/** Where a token's status is: index `idx` of the Status List Token at `uri`. */
export interface TokenStatusReference {
  readonly uri: string;
  readonly idx: number;
}

/** The DPoP proof a request carried, once checked (RFC 9449 §4.3, §7). */
export interface DpopConfirmation {
  /** The RFC 7638 thumbprint of the proof key, equal to the token's `cnf.jkt`. */
  readonly jkt: string;
  readonly jti: string;
  /** The proof's `iat`, in seconds. */
  readonly iat: number;
  readonly nonce: string | undefined;
}

const NO_ACTORS: readonly string[] = Object.freeze([]);

/** Nesting read at most, whatever `maxDelegationDepth` says: a token is not a place for unbounded recursion. */
export const MAX_ACT_NESTING = 32;

/**
 * The actors of an `act` claim, outermost first, or the error code when it
 * is not an object with a non-empty string `sub` whose `act` (if any) is
 * one too, or nests deeper than `maxDepth`.
 */
export function readActorChain(
  act: unknown,
  maxDepth: number,
): readonly string[] | 'act_invalid' | 'delegation_too_deep' {
  if (act === undefined) return NO_ACTORS;
  const chain: string[] = [];
  let current: unknown = act;
  while (current !== undefined) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return 'act_invalid';
    const { sub } = current as Record<string, unknown>;
    if (typeof sub !== 'string' || sub === '') return 'act_invalid';
    if (chain.length >= Math.min(maxDepth, MAX_ACT_NESTING)) return 'delegation_too_deep';
    chain.push(sub);
    current = (current as Record<string, unknown>).act;
  }
  return Object.freeze(chain);
}

/** `scope` (space-delimited, RFC 9068 / RFC 7662) or else `scp` (array or string, as some issuers send it). */
export function readScopes(claims: Record<string, unknown>): string[] | undefined {
  const { scope, scp } = claims;
  const source = scope ?? scp;
  if (source === undefined) return [];
  if (typeof source === 'string') return splitScopes(source);
  if (Array.isArray(source) && source.every((s) => typeof s === 'string')) return source as string[];
  return undefined;
}

/** `"a b"` → `["a", "b"]`, empty items dropped; one pass, without `split`'s array to filter. */
function splitScopes(source: string): string[] {
  const scopes: string[] = [];
  let start = 0;
  for (;;) {
    const space = source.indexOf(' ', start);
    const end = space === -1 ? source.length : space;
    if (end > start) scopes.push(source.slice(start, end));
    if (space === -1) return scopes;
    start = space + 1;
  }
}

export function readAudience(aud: unknown): string[] | undefined {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.every((a) => typeof a === 'string')) return aud as string[];
  return undefined;
}

/** The first required scope the token lacks, or undefined when it has them all. */
export function missingScope(token: VerifiedToken, required: readonly string[]): string | undefined {
  for (const scope of required) if (!token.scopes.includes(scope)) return scope;
  return undefined;
}

const NO_SCOPES: readonly string[] = Object.freeze([]);
/** The last scope string normalized: callers mostly pass one constant per route. */
let lastScope: string | undefined;
let lastScopes: readonly string[] = NO_SCOPES;

/** Accepts `"a b"` or `["a", "b"]`; the result (frozen) is what a check compares against. */
export function normalizeScopes(scope: string | readonly string[] | undefined): readonly string[] {
  if (scope === undefined) return NO_SCOPES;
  if (typeof scope !== 'string') return Object.freeze(scope.filter((s) => s.length > 0));
  if (scope !== lastScope) {
    lastScopes = Object.freeze(scope.split(' ').filter((s) => s.length > 0));
    lastScope = scope;
  }
  return lastScopes;
}

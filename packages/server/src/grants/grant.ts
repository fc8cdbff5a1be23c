import type { StoredClient } from '../clients/client.js';
import type { MaybePromise } from '../core/maybe-async.js';
import type { TokenRequest } from '../core/token-request.js';
import type { GrantedToken } from '../tokens/granted-token.js';
import type { SubjectTokenReader } from './subject-token.js';

/** Everything some grant may need; each grant declares the slice it uses. */
export interface GrantDeps {
  /** The audience of tokens for clients registered without one (one entry, shared by every such token). */
  readonly defaultAudience: readonly string[];
  /** Token exchange (RFC 8693): who reads a subject or actor token, in order (grants/subject-token.ts). */
  readonly subjectTokens: readonly SubjectTokenReader[];
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** How often a grant's parameter may appear: once, or repeated (RFC 8707 `resource`). */
export type ParamUse = 'once' | 'repeatable';

/**
 * One OAuth grant: its `grant_type`, the parameters it reads and which may
 * repeat, and what it grants to an authenticated client that is allowed it
 * (the pipeline checks both before calling). Each grant is one file;
 * `registry.ts` lists them.
 */
export interface Grant<Deps = GrantDeps, Type extends string = string> {
  readonly type: Type;
  /** Besides grant_type and client authentication's; any other repeated parameter is invalid_request. */
  readonly params: Readonly<Record<string, ParamUse>>;
  handle(request: TokenRequest, client: StoredClient, deps: Deps): MaybePromise<GrantedToken>;
}

import type { StoredClient } from '../clients/client.js';
import type { MaybePromise } from '../core/maybe-async.js';
import type { TokenRequest } from '../core/token-request.js';
import type { GrantedToken } from '../tokens/granted-token.js';

/** Everything some grant may need; each grant declares the slice it uses. */
export interface GrantDeps {
  /** The audience of tokens for clients registered without one (one entry, shared by every such token). */
  readonly defaultAudience: readonly string[];
}

/**
 * One OAuth grant: its `grant_type`, the parameters it reads (documented in
 * OpenAPI and discovery), and what it grants to an authenticated client that
 * is allowed it (the pipeline checks both before calling). Each grant is one
 * file; `registry.ts` lists them.
 */
export interface Grant<Deps = GrantDeps, Type extends string = string> {
  readonly type: Type;
  readonly params: readonly string[];
  handle(request: TokenRequest, client: StoredClient, deps: Deps): MaybePromise<GrantedToken>;
}

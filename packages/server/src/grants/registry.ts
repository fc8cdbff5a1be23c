import { clientCredentials } from './client-credentials.js';
import type { Grant } from './grant.js';
import { tokenExchange } from './token-exchange.js';

/**
 * Every grant this server knows, one file each: the single source for the
 * token endpoint, discovery's `grant_types_supported`, metadata validation
 * and OpenAPI. A new grant is a new file and a line here.
 */
export const GRANTS = [clientCredentials, tokenExchange] as const;

export type GrantType = (typeof GRANTS)[number]['type'];

export const GRANT_TYPES: readonly GrantType[] = GRANTS.map((g) => g.type);

/** A grant as the token endpoint uses it: with the set of its parameters that may repeat, made once. */
export interface RegisteredGrant {
  readonly grant: Grant;
  readonly repeatable: ReadonlySet<string>;
}

const BY_TYPE = new Map<string, RegisteredGrant>(
  GRANTS.map((g) => [
    g.type,
    {
      grant: g as Grant,
      repeatable: new Set(Object.keys(g.params).filter((p) => (g.params as Grant['params'])[p] === 'repeatable')),
    },
  ]),
);

/** The grant for `type`, if this server has it. */
export function grantFor(type: string): RegisteredGrant | undefined {
  return BY_TYPE.get(type);
}

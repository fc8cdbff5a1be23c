import { clientCredentials } from './client-credentials.js';
import type { Grant } from './grant.js';

/**
 * Every grant this server knows, one file each: the single source for the
 * token endpoint, discovery's `grant_types_supported`, metadata validation
 * and OpenAPI. A new grant is a new file and a line here.
 */
export const GRANTS = [clientCredentials] as const;

export type GrantType = (typeof GRANTS)[number]['type'];

export const GRANT_TYPES: readonly GrantType[] = GRANTS.map((g) => g.type);

const BY_TYPE = new Map<string, Grant>(GRANTS.map((g) => [g.type, g as Grant]));

/** The grant for `type`, if this server has it. */
export function grantFor(type: string): Grant | undefined {
  return BY_TYPE.get(type);
}

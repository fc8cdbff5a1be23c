import type { ChainLink } from './granted-token.js';

/**
 * A token's ancestors as we wrote them (tokens/jwt-claims.ts,
 * opaque-token-row.ts). Anything else reads as a chain with an unknown
 * link, which readers treat as revoked: a token is never more active for a
 * chain it cannot read.
 */
export function readChain(value: unknown): readonly ChainLink[] {
  if (!Array.isArray(value)) return [UNREADABLE_LINK];
  return value.map((l) =>
    isLink(l) && typeof l.jti === 'string' && typeof l.client_id === 'string'
      ? { jti: l.jti, client_id: l.client_id }
      : UNREADABLE_LINK,
  );
}

/** A link naming no client that can exist (client ids are at least one character): always inactive. */
export const UNREADABLE_LINK: ChainLink = Object.freeze({ jti: '', client_id: '' });

function isLink(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

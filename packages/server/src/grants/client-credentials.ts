import type { StoredClient } from '../clients/client.js';
import { all, type Params, single } from '../core/params.js';
import { InvalidScope, InvalidTarget, UnauthorizedClient } from '../errors/index.js';
import type { Grant } from '../tokens/access-token.js';

/**
 * RFC 6749 §4.4: the client asks for a token for itself. Decides the scopes
 * and audiences it gets; issuing is the token format's job.
 */
export function clientCredentialsGrant(client: StoredClient, params: Params): Grant {
  const m = client.metadata;
  if (!m.grant_types.includes('client_credentials')) {
    throw new UnauthorizedClient('the client is not allowed the client_credentials grant');
  }
  const scope = grantedScope(m.scope, single(params, 'scope'));
  return {
    clientId: client.clientId,
    scope,
    scopes: scope === '' ? [] : scope.split(' '),
    audience: grantedAudience(m.audience, requestedAudience(params)),
    ttl: m.access_token_ttl,
    claims: m.claims,
  };
}

/** Omitted: every allowed scope. Requested: each must be allowed. Space-delimited, without repeats. */
function grantedScope(allowed: string, requested: string | undefined): string {
  // Allowed scopes are stored normalised (no repeats, single spaces): asking for exactly them needs no check.
  if (requested === undefined || requested === allowed) return allowed;
  const allowedList = allowed === '' ? [] : allowed.split(' ');
  const wanted = [...new Set(requested.split(' ').filter(Boolean))];
  const refused = wanted.filter((s) => !allowedList.includes(s));
  if (refused.length > 0) {
    throw new InvalidScope(`scope not allowed for this client: ${refused.join(' ').slice(0, 200)}`);
  }
  return wanted.join(' ');
}

/** The audience and RFC 8707 resource parameters together (no copy when there is only one kind). */
function requestedAudience(params: Params): readonly string[] {
  const audience = all(params, 'audience');
  const resource = all(params, 'resource');
  return resource.length === 0 ? audience : audience.length === 0 ? resource : [...audience, ...resource];
}

/** Omitted: every allowed audience. Requested (audience or RFC 8707 resource): each must be allowed. */
function grantedAudience(allowed: string[], requested: readonly string[]): string[] {
  if (requested.length === 0) return allowed;
  const wanted = [...new Set(requested)];
  const refused = wanted.filter((a) => !allowed.includes(a));
  if (refused.length > 0) {
    throw new InvalidTarget(`audience not allowed for this client: ${refused.join(' ').slice(0, 200)}`);
  }
  return wanted;
}

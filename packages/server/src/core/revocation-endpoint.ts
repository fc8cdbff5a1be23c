import { authenticateClient } from '../client-auth/authenticate.js';
import { InvalidRequest, UnauthorizedClient } from '../errors/index.js';
import type { ServerContext } from './context.js';
import { type Params, rejectRepeated, single } from './params.js';
import { readActiveToken } from './read-token.js';

/**
 * RFC 7009. Unknown, invalid and expired tokens answer 200 like revoked ones.
 * A token issued to another client is refused (§2.1) and stays active.
 * Opaque tokens are deleted; JWTs go on the jti denylist until they expire.
 */
export async function handleRevocation(
  ctx: ServerContext,
  params: Params,
  authorization: string | undefined,
): Promise<void> {
  rejectRepeated(params);
  const { client } = await authenticateClient(ctx.auth, { params, authorization });
  const token = single(params, 'token');
  if (!token) throw new InvalidRequest('token is required');
  const t = await readActiveToken(ctx, token);
  if (!t) return;
  if (t.client_id !== client.clientId) {
    throw new UnauthorizedClient('the token was not issued to this client');
  }
  if (t.opaqueId) await ctx.store.deleteOpaqueToken(t.opaqueId);
  else await ctx.revocations.revokeJti(t.jti, t.exp * 1000);
}

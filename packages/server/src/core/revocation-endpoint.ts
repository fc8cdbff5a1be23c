import { authenticateClient } from '../client-auth/authenticate.js';
import { InvalidRequest, UnauthorizedClient } from '../errors/index.js';
import type { ServerContext } from './context.js';
import { rejectRepeated, single } from './params.js';
import { type ActiveTokenDeps, readActiveToken } from './read-token.js';
import type { TokenRequest } from './token-request.js';

export type RevocationDeps = Pick<ServerContext, 'auth' | 'statusLists'> & ActiveTokenDeps;

/**
 * RFC 7009. Unknown, invalid and expired tokens answer 200 like revoked ones.
 * A token issued to another client is refused (§2.1) and stays active.
 * JWTs go on the jti denylist until they expire. Opaque tokens are deleted
 * and their jti denylisted as well: tokens exchanged from one (RFC 8693)
 * carry its jti and find it there (core/read-token.ts). The token's status
 * list bit, and its descendants', are set before the answer, so verifiers
 * that follow the lists refuse it too.
 */
export async function handleRevocation(deps: RevocationDeps, request: TokenRequest): Promise<void> {
  rejectRepeated(request.params);
  const { client } = await authenticateClient(deps.auth, request);
  const token = single(request.params, 'token');
  if (!token) throw new InvalidRequest('token is required');
  const t = await readActiveToken(deps, token);
  if (!t) return;
  if (t.client_id !== client.clientId) {
    throw new UnauthorizedClient('the token was not issued to this client');
  }
  // Denylisted first: should the delete fail, the token and its descendants are inactive already.
  await deps.revocations.revokeJti(t.jti, t.exp * 1000);
  // The status list entry, and those of tokens exchanged from it, before the answer (draft-ietf-oauth-status-list).
  await deps.statusLists?.revoke(t.jti, t.status, t.exp * 1000);
  if (t.opaqueId) await deps.store.deleteOpaqueToken(t.opaqueId);
}

import { authenticateClient } from '../client-auth/authenticate.js';
import { InvalidRequest } from '../errors/index.js';
import { type IntrospectionResponse, introspectionAnswer } from '../tokens/introspection-answer.js';
import type { ServerContext } from './context.js';
import { rejectRepeated, single } from './params.js';
import { type ActiveTokenDeps, readActiveToken } from './read-token.js';
import type { TokenRequest } from './token-request.js';

export type { IntrospectionResponse } from '../tokens/introspection-answer.js';

export type IntrospectionDeps = Pick<ServerContext, 'auth'> & ActiveTokenDeps;

/** RFC 7662: any registered client may ask (resource servers are clients). */
export async function handleIntrospection(
  deps: IntrospectionDeps,
  request: TokenRequest,
): Promise<IntrospectionResponse> {
  rejectRepeated(request.params);
  await authenticateClient(deps.auth, request);
  const token = single(request.params, 'token');
  if (!token) throw new InvalidRequest('token is required');
  const t = await readActiveToken(deps, token);
  return t ? introspectionAnswer(t) : { active: false };
}

import { authenticateClient } from '../client-auth/authenticate.js';
import { InvalidRequest } from '../errors/index.js';
import type { ServerContext } from './context.js';
import { type Params, rejectRepeated, single } from './params.js';
import { readActiveToken } from './read-token.js';

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      sub: string;
      aud?: string | string[];
      iss: string;
      exp: number;
      iat: number;
      nbf?: number;
      jti: string;
      token_type: 'Bearer';
    };

/** RFC 7662: any registered client may ask (resource servers are clients). */
export async function handleIntrospection(
  ctx: ServerContext,
  params: Params,
  authorization: string | undefined,
): Promise<IntrospectionResponse> {
  rejectRepeated(params);
  await authenticateClient(ctx.auth, { params, authorization });
  const token = single(params, 'token');
  if (!token) throw new InvalidRequest('token is required');
  const t = await readActiveToken(ctx, token);
  if (!t) return { active: false };
  return {
    active: true,
    scope: t.scope,
    client_id: t.client_id,
    sub: t.sub,
    ...(t.aud === undefined ? {} : { aud: t.aud }),
    iss: t.iss,
    exp: t.exp,
    iat: t.iat,
    ...(t.nbf === undefined ? {} : { nbf: t.nbf }),
    jti: t.jti,
    token_type: 'Bearer',
  };
}

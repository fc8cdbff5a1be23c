import { authenticateClient } from '../client-auth/authenticate.js';
import { InvalidRequest, UnsupportedGrantType } from '../errors/index.js';
import { clientCredentialsGrant } from '../grants/client-credentials.js';
import { issueJwt } from '../tokens/jwt-access-token.js';
import { issueOpaque } from '../tokens/opaque-access-token.js';
import type { ServerContext } from './context.js';
import { type Params, rejectRepeated, single } from './params.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** One entry per grant this server knows; each grant in its own file. */
const GRANTS = { client_credentials: clientCredentialsGrant } as const;

/**
 * The token endpoint as named steps: parameters → grant type → client
 * authentication → grant → issue.
 */
export async function handleTokenRequest(
  ctx: ServerContext,
  params: Params,
  authorization: string | undefined,
): Promise<{ response: TokenResponse; clientId: string; format: 'jwt' | 'opaque'; alg: string }> {
  rejectRepeated(params);
  const grantType = single(params, 'grant_type');
  if (!grantType) throw new InvalidRequest('grant_type is required');
  if (!Object.hasOwn(GRANTS, grantType)) {
    throw new UnsupportedGrantType(`grant_type ${grantType.slice(0, 64)} is not supported`);
  }
  const { client } = await authenticateClient(ctx.auth, { params, authorization });
  const grant = GRANTS[grantType as keyof typeof GRANTS](client, params);
  const now = ctx.now();
  const limit = ctx.throttle.issuanceLimit(client.metadata.token_rate_limit);
  // Unlimited clients (the default) skip the counter and its await.
  if (limit > 0) await ctx.throttle.checkIssuance(client.clientId, limit, now);
  const issued =
    client.metadata.access_token_format === 'opaque'
      ? await issueOpaque(ctx.store, ctx.tokenHasher, grant, now)
      : issueJwt(ctx.keys, ctx.issuer, grant, now);
  return {
    clientId: client.clientId,
    format: client.metadata.access_token_format,
    alg: issued.alg,
    response: {
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      scope: grant.scopes.join(' '),
    },
  };
}

import * as jose from 'jose';

/**
 * The two jose snippets of seed 000 (SuperTokens' "Verify an OAuth2 Access
 * Token"), as users already have them. The only changes: the JWKS URL, the
 * audience and the scope are parameters (the seed leaves them blank), and
 * the functions are returned instead of declared at module level.
 */
export function seedValidators(jwksUri: string, audience: string, requiredScope: string) {
  const JWKS = jose.createRemoteJWKSet(new URL(jwksUri));

  // "For NodeJS you can use jose to verify the token."
  async function validateClientCredentialsToken(jwt: string) {
    try {
      const { payload } = await jose.jwtVerify(jwt, JWKS, {
        audience,
        requiredClaims: ['stt', 'scp'],
      });
      if (payload.stt !== 1) return false;
      const scopes = payload.scp as string[];
      return scopes.includes(requiredScope);
    } catch (_err) {
      return false;
    }
  }

  // "This is a basic example on how to validate an OAuth2 Token"
  async function validateToken(jwt: string) {
    const { payload } = await jose.jwtVerify(jwt, JWKS, {
      requiredClaims: ['stt', 'scp', 'sub'],
    });
    if (payload.stt !== 1) throw new Error('Invalid token');
    const sessionHandle = payload['sessionHandle'] as string | undefined;
    if (sessionHandle === undefined) {
      // We are dealing with a Client Credentials Token
    }
    return payload;
  }

  return { validateClientCredentialsToken, validateToken };
}

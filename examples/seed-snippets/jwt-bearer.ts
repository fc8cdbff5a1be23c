import * as jose from 'jose';

/**
 * The .NET checks of the seeds, in TypeScript with jose:
 *
 * - seed 002 (IdentityServer4): `AddJwtBearer(o => { o.Authority = …;
 *   o.Audience = "api1"; })` — the API knows only the issuer's address and
 *   its own audience; everything else comes from the discovery document.
 * - seed 000 (IdentityModel): `new TokenValidationParameters { ValidAudience,
 *   IssuerSigningKeys }`, `tokenHandler.ValidateToken(…)`, then the `stt`
 *   and `scp` checks on the claims.
 *
 * The defaults are .NET's: issuer, audience, lifetime and signature are all
 * validated, with a ClockSkew of 5 minutes.
 */
export interface TokenValidationParameters {
  ValidIssuer: string;
  ValidAudience: string;
  IssuerSigningKeys: ReturnType<typeof jose.createRemoteJWKSet>;
  ValidateLifetime: boolean;
  /** Seconds; .NET's default is 5 minutes. */
  ClockSkew: number;
}

/** A failed validation, with the IDX code .NET would report. */
export class SecurityTokenValidationException extends Error {
  override name = 'SecurityTokenValidationException';
}

/** What JwtBearer does with `Authority` and `Audience`: discovery gives `issuer` and `jwks_uri`. */
export async function parametersFromAuthority(authority: string, audience: string): Promise<TokenValidationParameters> {
  const res = await fetch(`${authority.replace(/\/$/, '')}/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`IDX20803: Unable to obtain configuration from '${authority}': ${res.status}`);
  const config = (await res.json()) as { issuer?: string; jwks_uri?: string };
  if (!config.issuer || !config.jwks_uri) throw new Error('IDX20803: the configuration has no issuer or jwks_uri');
  return {
    ValidIssuer: config.issuer,
    ValidAudience: audience,
    IssuerSigningKeys: jose.createRemoteJWKSet(new URL(config.jwks_uri)),
    ValidateLifetime: true,
    ClockSkew: 300,
  };
}

/**
 * `JwtSecurityTokenHandler.ValidateToken`: signature, issuer, audience and
 * lifetime; returns the claims or throws. `now` is for showing an expired
 * token without waiting an hour.
 */
export async function ValidateToken(
  jwtStr: string,
  parameters: TokenValidationParameters,
  now: Date = new Date(),
): Promise<jose.JWTPayload> {
  try {
    const { payload } = await jose.jwtVerify(jwtStr, parameters.IssuerSigningKeys, {
      issuer: parameters.ValidIssuer,
      audience: parameters.ValidAudience,
      clockTolerance: parameters.ClockSkew,
      currentDate: now,
      requiredClaims: parameters.ValidateLifetime ? ['exp'] : [],
    });
    return payload;
  } catch (err) {
    throw new SecurityTokenValidationException(idx(err));
  }
}

/** The `ClientCredentialsTokenValidator.ValidateToken` of seed 000, after `ValidateToken`. */
export async function validateClientCredentialsToken(
  jwtStr: string,
  parameters: TokenValidationParameters,
  requiredScope: string,
  now?: Date,
): Promise<{ valid: boolean; reason: string }> {
  let claims: jose.JWTPayload;
  try {
    claims = await ValidateToken(jwtStr, parameters, now);
  } catch (err) {
    return { valid: false, reason: err instanceof Error ? err.message : String(err) };
  }
  if (String(claims.stt) !== '1') return { valid: false, reason: 'claims["stt"] != "1"' };
  // .NET maps a JSON array claim to one claim per value (the seed's
  // `claims["scp"].Split(" ")` then only works for a single scope); both
  // shapes are accepted here.
  const scp = claims.scp;
  const scopes = Array.isArray(scp) ? scp.map(String) : typeof scp === 'string' ? scp.split(' ') : [];
  if (!scopes.includes(requiredScope)) return { valid: false, reason: `scp does not contain "${requiredScope}"` };
  return { valid: true, reason: `issuer, audience, lifetime, signature, stt and scp "${requiredScope}" all valid` };
}

function idx(err: unknown): string {
  if (err instanceof jose.errors.JWTExpired) return `IDX10223: Lifetime validation failed. The token is expired.`;
  if (err instanceof jose.errors.JWSSignatureVerificationFailed) return 'IDX10503: Signature validation failed.';
  if (err instanceof jose.errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'IDX10214: Audience validation failed.';
    if (err.claim === 'iss') return 'IDX10205: Issuer validation failed.';
    if (err.claim === 'nbf') return 'IDX10222: Lifetime validation failed. The token is not yet valid.';
    return `IDX10500: ${err.message}`;
  }
  if (err instanceof jose.errors.JWKSNoMatchingKey)
    return 'IDX10501: Signature validation failed. Unable to match key.';
  return `IDX10000: ${err instanceof Error ? err.message : String(err)}`;
}

import type { JWK } from 'jose';

/**
 * What kind of issuer it is, where that changes how its keys are read:
 * `oidc` (Kubernetes, CI platforms, any OpenID provider: a plain JWKS) or
 * `spiffe` (a SPIFFE bundle endpoint: a JWKS whose JWT signing keys have
 * `use: "jwt-svid"`, beside X.509 ones, and a `spiffe_refresh_hint`).
 */
export type TrustedIssuerKind = 'oidc' | 'spiffe';

/** A trusted issuer as the admin API speaks it (snake_case), and as it is stored. */
export interface TrustedIssuerConfig {
  /** Exactly the `iss` its tokens carry. */
  issuer: string;
  kind: TrustedIssuerKind;
  /** Where its keys are; absent with `jwks` absent too: found through its discovery document. */
  jwks_uri?: string | undefined;
  /** Its keys, given inline (an issuer Tessera cannot reach). */
  jwks?: { keys: JWK[] } | undefined;
  /** The `aud` its tokens must carry; absent: Tessera's issuer. */
  audience?: string | undefined;
  /** Longest lifetime (exp - iat, seconds) of a token accepted from it. */
  max_token_lifetime: number;
  /** SPIFFE: the trust domain whose SPIFFE IDs it vouches for (a JWT-SVID may carry no `iss`). */
  trust_domain?: string | undefined;
  /** Human note. */
  description?: string | undefined;
}

export interface TrustedIssuerRecord {
  /** Generated at creation; the admin API's handle. */
  id: string;
  config: TrustedIssuerConfig;
  /** Milliseconds since the epoch. */
  createdAt: number;
  updatedAt: number;
}

export class DuplicateIssuerError extends Error {
  override name = 'DuplicateIssuerError';
}

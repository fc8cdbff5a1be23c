import { errors, type JWTPayload, jwtVerify } from 'jose';
import { PRIVATE_KEY_ALGS } from '../client-auth/client-assertion.js';
import { BoundedCache } from '../clients/bounded-cache.js';
import type { AuthFailureKind } from '../errors/index.js';
import { isCanonicalCompactJws } from '../tokens/base64url.js';
import { KeysUnavailable } from './issuer-keys.js';
import type { ActiveIssuer, TrustedIssuers } from './trusted-issuers.js';

/** Clock skew allowed on `exp`, `nbf` and `iat`, as for client assertions. */
export const SKEW_SECONDS = 60;
/** Longer than any platform token: refused before it is parsed. */
const MAX_TOKEN_LENGTH = 16 * 1024;
/**
 * Verified tokens remembered: each is its token (about 1 KB) and its claims,
 * about 1.5 KB in all. Sized for one live token per workload at 100,000
 * federated workloads (at most ~150 MB, and only while that many distinct
 * tokens are in use): a smaller cache there makes most requests pay a
 * signature check again (bench: 0.40x of one client with 10,000).
 */
const VERIFIED_TOKENS = 100_000;

/** A platform token whose signature and claims passed: who it names, and until when. */
export interface PlatformIdentity {
  readonly issuer: ActiveIssuer;
  readonly sub: string;
  readonly payload: Readonly<JWTPayload>;
  /** Seconds. */
  readonly exp: number;
}

/** What a token says of itself before it is verified: which trusted issuer to ask. */
export interface ClaimedIdentity {
  readonly token: string;
  readonly issuer: ActiveIssuer;
  readonly sub: string;
  readonly payload: Readonly<JWTPayload>;
  /** Set when this exact token was verified before and has not expired. */
  readonly verified: PlatformIdentity | undefined;
}

/** Why a platform token was refused: a metric label and a reason for the log, never for the wire. */
export class PlatformTokenRefused extends Error {
  override name = 'PlatformTokenRefused';
  constructor(
    readonly reason: string,
    readonly kind: AuthFailureKind,
  ) {
    super(reason);
  }
}

interface Verified {
  /** The whole token: the cache is keyed by its signature, and a hit must be this token. */
  readonly token: string;
  readonly identity: PlatformIdentity;
}

/**
 * Tokens of trusted issuers (Kubernetes service-account tokens, SPIFFE
 * JWT-SVIDs, CI OIDC tokens), checked as RFC 7523 §3 asks of an assertion:
 * signature with the issuer's keys (asymmetric algorithms only: never
 * `none`, never HMAC), `iss`, `aud`, `exp`, `nbf`, and a lifetime no longer
 * than the issuer's `max_token_lifetime`. `jti` is not spent: a platform
 * hands the same token to its workload until it expires (docs/security.md).
 *
 * A platform token is reused for minutes or hours, so the verified claims of
 * each exact token are kept until its `exp` (as tokens/verified-jwts.ts does
 * for ours): a reused token costs a Map lookup, not a signature check. A
 * change to its trusted issuer (a new ActiveIssuer) drops what it vouched for.
 */
export class PlatformTokens {
  readonly #verified = new BoundedCache<string, Verified>(VERIFIED_TOKENS);

  constructor(private readonly issuers: Pick<TrustedIssuers, 'find' | 'forTrustDomain' | 'size'>) {}

  /**
   * The trusted issuer a token names, from its unverified claims: `iss`, or
   * for a SPIFFE JWT-SVID without one, the trust domain of its `sub`.
   * Undefined when it names none (or is not a JWT at all).
   */
  claim(token: string, nowMs: number): ClaimedIdentity | undefined {
    if (this.issuers.size === 0) return undefined;
    const signature = token.slice(token.lastIndexOf('.') + 1);
    const hit = this.#verified.get(signature, nowMs);
    if (hit !== undefined && hit.token === token) {
      const { identity } = hit;
      if (this.issuers.find(identity.issuer.config.issuer) === identity.issuer) {
        return { token, issuer: identity.issuer, sub: identity.sub, payload: identity.payload, verified: identity };
      }
    }
    if (token.length > MAX_TOKEN_LENGTH || !isCanonicalCompactJws(token)) return undefined;
    const payload = decodePayload(token);
    if (payload === undefined || typeof payload.sub !== 'string' || payload.sub === '') return undefined;
    const issuer =
      typeof payload.iss === 'string'
        ? this.issuers.find(payload.iss)
        : this.issuers.forTrustDomain(trustDomainOf(payload.sub));
    if (issuer === undefined) return undefined;
    return { token, issuer, sub: payload.sub, payload, verified: undefined };
  }

  /**
   * Whether a jwt-bearer assertion no trusted issuer claimed was meant for
   * one: its `iss` is a URL that is not its `sub` (a private_key_jwt
   * assertion names its client in both). Only for the reason logged.
   */
  namesUntrustedIssuer(token: string): boolean {
    if (token.length > MAX_TOKEN_LENGTH || !isCanonicalCompactJws(token)) return false;
    const payload = decodePayload(token);
    return typeof payload?.iss === 'string' && payload.iss !== payload.sub && /^https?:\/\//.test(payload.iss);
  }

  /** Verifies a claimed identity (at once when it was verified before); rejects with PlatformTokenRefused. */
  verify(claimed: ClaimedIdentity, nowMs: number): PlatformIdentity | Promise<PlatformIdentity> {
    return claimed.verified ?? this.#verify(claimed, nowMs);
  }

  async #verify({ token, issuer }: ClaimedIdentity, nowMs: number): Promise<PlatformIdentity> {
    const { config } = issuer;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, issuer.keys.getKey, {
        algorithms: PRIVATE_KEY_ALGS,
        // A SPIFFE JWT-SVID may carry no iss; when it does, it must be this one.
        ...(config.kind === 'spiffe' ? {} : { issuer: config.issuer }),
        audience: issuer.audience,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: SKEW_SECONDS,
        currentDate: new Date(nowMs),
      }));
    } catch (err) {
      throw refusal(err);
    }
    if (payload.iss !== undefined && payload.iss !== config.issuer) {
      throw new PlatformTokenRefused('iss is not the trusted issuer', 'untrusted_issuer');
    }
    const sub = payload.sub as string;
    if (config.trust_domain !== undefined && trustDomainOf(sub) !== config.trust_domain) {
      throw new PlatformTokenRefused('sub is not a SPIFFE ID of the trust domain', 'bad_assertion');
    }
    const now = Math.floor(nowMs / 1000);
    const exp = payload.exp as number;
    const { iat } = payload;
    if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) {
      throw new PlatformTokenRefused('iat is not a number', 'bad_assertion');
    }
    if (iat !== undefined && iat > now + SKEW_SECONDS)
      throw new PlatformTokenRefused('iat is in the future', 'bad_assertion');
    // The cap bounds how long one stolen token works. Without iat the issued
    // time is unknown: what is left of the token (exp - now) must fit instead.
    const lifetime = iat === undefined ? exp - now : exp - iat;
    if (lifetime > config.max_token_lifetime) {
      throw new PlatformTokenRefused(
        `lifetime ${lifetime} s is over max_token_lifetime ${config.max_token_lifetime} s`,
        'lifetime_too_long',
      );
    }
    const identity: PlatformIdentity = Object.freeze({ issuer, sub, payload: Object.freeze(payload), exp });
    this.#verified.set(token.slice(token.lastIndexOf('.') + 1), { token, identity }, exp * 1000);
    return identity;
  }
}

/** `spiffe://<trust domain>/<path>` → the trust domain; '' for anything else. */
function trustDomainOf(sub: string): string {
  if (!sub.startsWith('spiffe://')) return '';
  const end = sub.indexOf('/', 9);
  return end < 0 ? sub.slice(9) : sub.slice(9, end);
}

function decodePayload(token: string): JWTPayload | undefined {
  const first = token.indexOf('.');
  try {
    const value: unknown = JSON.parse(
      Buffer.from(token.slice(first + 1, token.indexOf('.', first + 1)), 'base64url').toString('utf8'),
    );
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JWTPayload) : undefined;
  } catch {
    return undefined;
  }
}

/** jose's error → a reason and a metric label. */
function refusal(err: unknown): PlatformTokenRefused {
  if (err instanceof PlatformTokenRefused) return err;
  if (err instanceof KeysUnavailable) {
    return new PlatformTokenRefused(`the issuer's keys are unavailable: ${err.message}`, 'issuer_keys_unavailable');
  }
  if (err instanceof errors.JWTExpired) return new PlatformTokenRefused('the token has expired', 'expired_assertion');
  if (err instanceof errors.JWTClaimValidationFailed) {
    const kind: AuthFailureKind =
      err.claim === 'aud' ? 'wrong_audience' : err.claim === 'iss' ? 'untrusted_issuer' : 'bad_assertion';
    return new PlatformTokenRefused(`${err.claim}: ${err.message}`, kind);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new PlatformTokenRefused('the signature does not verify', 'bad_signature');
  }
  if (err instanceof errors.JWKSNoMatchingKey) {
    return new PlatformTokenRefused('no key of the issuer matches the token', 'bad_signature');
  }
  if (err instanceof errors.JOSEError) return new PlatformTokenRefused(`${err.code}: ${err.message}`, 'bad_assertion');
  return new PlatformTokenRefused('the token could not be verified', 'bad_assertion');
}

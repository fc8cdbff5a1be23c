import {
  algorithmFitsKey,
  isAllowedAlgorithm,
  type JwsAlgorithm,
  type VerificationKey,
  verifySignature,
} from './algorithms.js';
import { VerifyError } from './errors.js';
import { type AccessTokenClaims, readAudience, readScopes, type VerifiedToken } from './verified-token.js';

/** A JWS compact token split apart, its header read, nothing verified yet. */
export interface DecodedJwt {
  readonly alg: string;
  readonly kid: string | undefined;
  /** `header.payload`, what the signature covers. */
  readonly signingInput: string;
  readonly payload: string;
  readonly signature: string;
}

export interface JwtChecks {
  issuer: string;
  audiences: readonly string[];
  clockToleranceSec: number;
}

const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);

interface Header {
  alg: JwsAlgorithm;
  kid: string | undefined;
}

/**
 * Every token from one issuer key has the same header segment, so its
 * checked form is remembered (a third of the non-crypto work). Bounded, and
 * only headers that passed the checks are kept.
 */
const headers = new Map<string, Header>();
let lastSegment = '';
let lastHeader: Header | undefined;
const MAX_HEADERS = 64;

/** Splits the token and reads its header (RFC 9068 §4 steps 1–2). */
export function decodeJwt(token: string): DecodedJwt | VerifyError {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second < 0 || token.indexOf('.', second + 1) !== -1) {
    return new VerifyError('token_malformed', { detail: 'not a JWS compact serialization' });
  }
  const segment = token.slice(0, first);
  // Tokens of one issuer share a header or two: a string compare with the
  // last one is cheaper than the Map, which hashes the whole segment.
  const header = segment === lastSegment && lastHeader ? lastHeader : (headers.get(segment) ?? readHeader(segment));
  if (header instanceof VerifyError) return header;
  lastSegment = segment;
  lastHeader = header;
  if (second === token.length - 1) return new VerifyError('token_malformed', { detail: 'no signature' });
  return {
    alg: header.alg,
    kid: header.kid,
    signingInput: token.slice(0, second),
    payload: token.slice(first + 1, second),
    signature: token.slice(second + 1),
  };
}

function readHeader(segment: string): Header | VerifyError {
  const header = parseSegment(segment);
  if (!header) return new VerifyError('token_malformed', { detail: 'unreadable header' });
  const { alg, kid, typ } = header;
  if (typeof alg !== 'string') return new VerifyError('token_malformed', { detail: 'no alg' });
  if (!isAllowedAlgorithm(alg)) return new VerifyError('alg_not_allowed', { detail: alg.slice(0, 20) });
  if (kid !== undefined && typeof kid !== 'string') return new VerifyError('token_malformed', { detail: 'kid' });
  // No extension is understood here, so any critical one must be refused (RFC 7515 §4.1.11).
  if (header.crit !== undefined) return new VerifyError('token_malformed', { detail: 'crit' });
  if (typeof typ !== 'string' || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase())) {
    return new VerifyError('typ_invalid');
  }
  const checked: Header = { alg, kid };
  if (headers.size >= MAX_HEADERS) headers.clear();
  headers.set(segment, checked);
  return checked;
}

/** Signature, then claims (RFC 9068 §4 steps 3–8, RFC 8725). */
export function checkJwt(
  jwt: DecodedJwt,
  key: VerificationKey,
  checks: JwtChecks,
  nowMs: number,
): VerifiedToken | VerifyError {
  if (!algorithmFitsKey(jwt.alg, key))
    return new VerifyError('alg_not_allowed', { detail: "the key's algorithm differs" });
  const data = Buffer.from(jwt.signingInput, 'latin1');
  const signature = Buffer.from(jwt.signature, 'base64url');
  if (!verifySignature(jwt.alg, key, data, signature)) return new VerifyError('signature_invalid');
  const claims = parseSegment(jwt.payload);
  if (!claims) return new VerifyError('token_malformed', { detail: 'unreadable payload' });
  return checkClaims(claims, checks, nowMs);
}

/** The claim checks, shared with introspection answers (which carry the same names). */
export function checkClaims(
  claims: Record<string, unknown>,
  checks: JwtChecks,
  nowMs: number,
  format: VerifiedToken['format'] = 'jwt',
): VerifiedToken | VerifyError {
  const { iss, exp, nbf, sub, client_id } = claims;
  if (iss !== checks.issuer) return new VerifyError('issuer_mismatch');
  const now = nowMs / 1000;
  if (typeof exp !== 'number') return new VerifyError('claim_invalid', { detail: 'exp' });
  if (exp + checks.clockToleranceSec <= now) return new VerifyError('token_expired');
  if (nbf !== undefined) {
    if (typeof nbf !== 'number') return new VerifyError('claim_invalid', { detail: 'nbf' });
    if (nbf - checks.clockToleranceSec > now) return new VerifyError('token_not_yet_valid');
  }
  const audience = readAudience(claims.aud);
  if (!audience) return new VerifyError('audience_mismatch', { detail: 'no aud' });
  if (!intersects(checks.audiences, audience)) return new VerifyError('audience_mismatch');
  if (typeof client_id !== 'string') return new VerifyError('claim_invalid', { detail: 'client_id' });
  if (typeof sub !== 'string') return new VerifyError('claim_invalid', { detail: 'sub' });
  const scopes = readScopes(claims);
  if (!scopes) return new VerifyError('claim_invalid', { detail: 'scope' });
  // Only the result is frozen: freezing the parsed claims costs a third of the claim checks. They are typed readonly.
  return Object.freeze({
    clientId: client_id,
    subject: sub,
    scopes,
    audience,
    issuer: checks.issuer,
    expiresAt: new Date(exp * 1000),
    format,
    claims: claims as AccessTokenClaims,
  });
}

function intersects(wanted: readonly string[], present: readonly string[]): boolean {
  for (const a of wanted) if (present.includes(a)) return true;
  return false;
}

function parseSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

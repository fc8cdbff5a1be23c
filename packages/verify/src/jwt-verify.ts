import {
  algorithmFitsKey,
  isAllowedAlgorithm,
  type JwsAlgorithm,
  type VerificationKey,
  verifySignature,
} from './algorithms.js';
import { isCanonicalBase64url } from './base64url.js';
import { VerifyError } from './errors.js';
import {
  type AccessTokenClaims,
  readActorChain,
  readAudience,
  readScopes,
  type VerifiedToken,
} from './verified-token.js';

export interface JwtChecks {
  issuer: string;
  audiences: readonly string[];
  clockToleranceSec: number;
  /** Longest `act` chain accepted (RFC 8693 §4.1); unlimited when left out (up to `MAX_ACT_NESTING`). */
  maxDelegationDepth?: number;
}

/** A JWS header that passed the checks; the same object for every token with the same header segment. */
export interface JwtHeader {
  readonly alg: JwsAlgorithm;
  readonly kid: string | undefined;
}

const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);

/**
 * Every token from one issuer key has the same header segment, so its
 * checked form is remembered (a third of the non-crypto work). Bounded, and
 * only headers that passed the checks are kept.
 */
const headers = new Map<string, JwtHeader>();
let lastSegment = '';
let lastHeader: JwtHeader | undefined;
const MAX_HEADERS = 64;

/**
 * Reads the header of a token whose first two dots are at `first` and
 * `second` (RFC 9068 §4 steps 1–2): refuses a third dot, an empty header or
 * signature, then checks the header. The token is not cut into pieces: the
 * signature check and the payload read work on it in place.
 */
export function readJwtHeader(token: string, first: number, second: number): JwtHeader | VerifyError {
  if (first <= 0 || second <= first || token.indexOf('.', second + 1) !== -1) {
    return new VerifyError('token_malformed', { detail: 'not a JWS compact serialization' });
  }
  // Tokens of one issuer share a header or two: a string compare with the
  // last one is cheaper than the Map, which hashes the whole segment. (Not
  // `token.startsWith(lastSegment)`: with a sliced string as its argument V8
  // takes a slow path, five times the cost of slice and compare.)
  const segment = token.slice(0, first);
  let header: JwtHeader | VerifyError | undefined = lastHeader;
  if (segment !== lastSegment || header === undefined) {
    header = headers.get(segment) ?? checkHeader(segment);
    if (header instanceof VerifyError) return header;
    lastSegment = segment;
    lastHeader = header;
  }
  if (second === token.length - 1) return new VerifyError('token_malformed', { detail: 'no signature' });
  return header;
}

function checkHeader(segment: string): JwtHeader | VerifyError {
  // Checked once per header: a remembered segment was canonical when it was checked.
  if (!isCanonicalBase64url(segment)) return new VerifyError('token_malformed', { detail: 'header not base64url' });
  const header = parseJson(Buffer.from(segment, 'base64url').toString('utf8'));
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
  const checked: JwtHeader = Object.freeze({ alg, kid });
  if (headers.size >= MAX_HEADERS) headers.clear();
  headers.set(segment, checked);
  return checked;
}

/**
 * One buffer for the bytes of the token being checked, instead of three
 * Buffers per token: the signature at 0, the signing input after
 * `SIGNATURE_ROOM`, later the decoded payload there too. Verification is
 * synchronous and calls no user code, so nothing else can use it meanwhile.
 * It grows to the longest token seen (at most the verifier's
 * `maxTokenLength` plus a little).
 */
let scratch = Buffer.allocUnsafeSlow(8192);
/** Room for the signature: RSA up to 8192 bits. A longer one gets a Buffer of its own (and fails). */
const SIGNATURE_ROOM = 1024;
/**
 * The views of `scratch` handed to `verify`, kept while their length
 * repeats (a key's signatures all have one length, and one client's tokens
 * mostly do too); dropped when `scratch` grows.
 */
let signatureView: Uint8Array | undefined;
let dataView: Uint8Array | undefined;

function view(offset: number, length: number, last: Uint8Array | undefined): Uint8Array {
  return last?.length === length ? last : new Uint8Array(scratch.buffer, scratch.byteOffset + offset, length);
}

/** Signature, then claims (RFC 9068 §4 steps 3–8, RFC 8725); `header` from `readJwtHeader`. */
export function checkJwt(
  token: string,
  first: number,
  second: number,
  header: JwtHeader,
  key: VerificationKey,
  checks: JwtChecks,
  nowMs: number,
): VerifiedToken | VerifyError {
  const { alg } = header;
  if (!algorithmFitsKey(alg, key)) return new VerifyError('alg_not_allowed', { detail: "the key's algorithm differs" });
  // Before decoding, which would skip stray characters and unused bits: one token, one spelling.
  if (!isCanonicalBase64url(token, first + 1, second) || !isCanonicalBase64url(token, second + 1)) {
    return new VerifyError('token_malformed', { detail: 'not base64url' });
  }
  if (scratch.length < SIGNATURE_ROOM + second) {
    scratch = Buffer.allocUnsafeSlow(Math.max(SIGNATURE_ROOM + second, scratch.length * 2));
    signatureView = dataView = undefined;
  }
  // base64url decodes to at most 3 bytes per 4 characters.
  const signatureSegment = token.slice(second + 1);
  let signature: Uint8Array;
  if (((signatureSegment.length * 3) >>> 2) + 3 <= SIGNATURE_ROOM) {
    signatureView = view(0, scratch.write(signatureSegment, 0, 'base64url'), signatureView);
    signature = signatureView;
  } else {
    signature = Buffer.from(signatureSegment, 'base64url');
  }
  // The signing input is ASCII (base64url and a dot), so latin1 copies it byte for byte.
  dataView = view(SIGNATURE_ROOM, scratch.write(token.slice(0, second), SIGNATURE_ROOM, 'latin1'), dataView);
  if (!verifySignature(alg, key, dataView, signature)) return new VerifyError('signature_invalid');
  // The payload is decoded over the signing input, which is no longer needed.
  const payloadLength = scratch.write(token.slice(first + 1, second), SIGNATURE_ROOM, 'base64url');
  const claims = parseJson(scratch.toString('utf8', SIGNATURE_ROOM, SIGNATURE_ROOM + payloadLength));
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
  const actorChain = readActorChain(claims.act, checks.maxDelegationDepth ?? Number.POSITIVE_INFINITY);
  if (typeof actorChain === 'string') return new VerifyError(actorChain, { detail: 'act' });
  // The result and its arrays are frozen: a cached result is shared by every
  // request with the same token, so one caller must not be able to grant the
  // next a scope. The parsed claims are not (freezing them costs a third of
  // the claim checks); they are typed readonly.
  return Object.freeze({
    clientId: client_id,
    subject: sub,
    scopes: Object.freeze(scopes),
    actor: actorChain[0],
    actorChain,
    audience: Object.freeze(audience),
    issuer: checks.issuer,
    expiresAt: new Date(exp * 1000),
    format,
    claims: claims as AccessTokenClaims,
    // Always present, so every verified token has one shape (one hidden class on the hot path).
    status: undefined,
  });
}

function intersects(wanted: readonly string[], present: readonly string[]): boolean {
  for (const a of wanted) if (present.includes(a)) return true;
  return false;
}

/** A JSON object, or undefined for anything else (an array, a primitive, not JSON). */
function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

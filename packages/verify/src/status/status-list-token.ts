import { inflateSync } from 'node:zlib';
import { algorithmFitsKey, isAllowedAlgorithm, type VerificationKey, verifySignature } from '../algorithms.js';
import { isCanonicalBase64url } from '../base64url.js';

/** The bits per status that draft-ietf-oauth-status-list §4.1 allows. */
export type StatusBits = 1 | 2 | 4 | 8;

/** A Status List Token that passed every check, its list decompressed. */
export interface StatusListContent {
  readonly bits: StatusBits;
  /** The decompressed list: status `i` is at bit `i * bits` counted from the least significant bit of byte 0. */
  readonly bytes: Uint8Array;
  /** `iat`, in seconds. */
  readonly iat: number;
  /** `exp` in seconds, when the token has one. */
  readonly exp: number | undefined;
  /** `ttl` in seconds, when the token has one. */
  readonly ttl: number | undefined;
}

export interface StatusListChecks {
  /** The uri the list was fetched from: the token's `sub` must equal it. */
  uri: string;
  /** Tessera's issuer; an `iss`, when the list token has one, must equal it. */
  issuer: string;
  clockToleranceSec: number;
  /** Largest decompressed list accepted, in bytes. */
  maxListBytes: number;
}

const LIST_TYPES = new Set(['statuslist+jwt', 'application/statuslist+jwt']);

/**
 * The header of a Status List Token: `alg` from the allow-list, `typ`
 * `statuslist+jwt` (draft-ietf-oauth-status-list §5.1), no `crit`.
 * Returns the reason it is refused as a string.
 */
export function readListHeader(jwt: string): { alg: string; kid: string | undefined } | string {
  const first = jwt.indexOf('.');
  if (first <= 0) return 'not a JWS';
  const header = parseJsonSegment(jwt.slice(0, first));
  if (!header) return 'unreadable header';
  const { alg, kid, typ } = header;
  if (!isAllowedAlgorithm(alg)) return 'alg not allowed';
  if (kid !== undefined && typeof kid !== 'string') return 'kid';
  if (header.crit !== undefined) return 'crit';
  if (typeof typ !== 'string' || !LIST_TYPES.has(typ.toLowerCase())) return 'typ is not statuslist+jwt';
  return { alg, kid };
}

/**
 * Checks a Status List Token (draft-ietf-oauth-status-list §8.3 step 4)
 * with the issuer key its header names, and decompresses its list under a
 * size cap. Returns the list, or the reason it is refused. Nothing here
 * trusts the token before its signature is checked.
 */
export function readStatusListToken(
  jwt: string,
  header: { alg: string },
  key: VerificationKey,
  checks: StatusListChecks,
  nowMs: number,
): StatusListContent | string {
  const first = jwt.indexOf('.');
  const second = jwt.indexOf('.', first + 1);
  if (second === -1 || jwt.indexOf('.', second + 1) !== -1) return 'not a JWS compact serialization';
  if (!isCanonicalBase64url(jwt, first + 1, second) || !isCanonicalBase64url(jwt, second + 1)) {
    return 'not base64url';
  }
  if (!algorithmFitsKey(header.alg, key)) return "the key's algorithm differs";
  const data = Buffer.from(jwt.slice(0, second), 'latin1');
  const signature = Buffer.from(jwt.slice(second + 1), 'base64url');
  if (!verifySignature(header.alg, key, data, signature)) return 'signature invalid';

  const claims = parseJsonSegment(jwt.slice(first + 1, second));
  if (!claims) return 'unreadable payload';
  const { sub, iss, iat, exp, ttl, status_list: list } = claims;
  if (sub !== checks.uri) return 'sub is not the uri it was fetched from';
  if (iss !== undefined && iss !== checks.issuer) return 'iss is another issuer';
  const now = nowMs / 1000;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return 'iat';
  if (exp !== undefined) {
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'exp';
    if (exp + checks.clockToleranceSec <= now) return 'expired';
  }
  if (ttl !== undefined && !(typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0)) return 'ttl';
  if (typeof list !== 'object' || list === null || Array.isArray(list)) return 'no status_list';
  const { bits, lst } = list as Record<string, unknown>;
  if (bits !== 1 && bits !== 2 && bits !== 4 && bits !== 8) return 'bits';
  if (typeof lst !== 'string' || !isCanonicalBase64url(lst)) return 'lst is not base64url';
  let bytes: Buffer;
  try {
    // RFC 1950 (zlib) around DEFLATE; the cap stops a small list that inflates to gigabytes.
    bytes = inflateSync(Buffer.from(lst, 'base64url'), { maxOutputLength: checks.maxListBytes });
  } catch {
    return 'lst does not decompress within the size cap';
  }
  if (bytes.length === 0) return 'empty list';
  return Object.freeze({
    bits,
    bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
    iat,
    exp: exp as number | undefined,
    ttl: ttl as number | undefined,
  });
}

function parseJsonSegment(segment: string): Record<string, unknown> | undefined {
  if (!isCanonicalBase64url(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

import {
  ALLOWED_ALGORITHMS,
  algorithmFitsKey,
  importJwk,
  type JwsAlgorithm,
  type VerificationKey,
  verifySignature,
} from '../algorithms.js';
import { isCanonicalBase64url } from '../base64url.js';
import { VerifyError } from '../errors.js';
import { jwkThumbprint, sha256Base64url } from './thumbprint.js';

/** What a DPoP proof (RFC 9449 §4.2) established, once checked against its request. */
export interface CheckedProof {
  /** RFC 7638 thumbprint of the proof's key: what the token's `cnf.jkt` must equal. */
  readonly jkt: string;
  readonly jti: string;
  /** Seconds since the epoch. */
  readonly iat: number;
  readonly htm: string;
  readonly htu: string;
  readonly nonce: string | undefined;
}

export interface ProofRequest {
  /** The DPoP header as received; several headers arrive joined by commas. */
  proof: string | readonly string[] | undefined;
  method: string | undefined;
  /** The absolute URL the client called. */
  url: string | (() => string) | undefined;
  /** The access token presented with the proof, for `ath`. */
  accessToken: string;
}

export interface ProofCheckOptions {
  algs: readonly JwsAlgorithm[];
  /** How old a proof may be, in seconds. */
  iatWindowSec: number;
  /** How far in the future `iat` may be (clock skew), in seconds. */
  futureSkewSec: number;
  /** Longer proofs are refused unread, in characters. */
  maxLength: number;
}

/** A proof header that passed its checks: the same for every proof of one key. */
interface ProofHeader {
  readonly alg: JwsAlgorithm;
  readonly key: VerificationKey;
  readonly jkt: string;
}

/** Members that only a private key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037): a proof must carry none. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const MAX_JTI_LENGTH = 256;
const MAX_HEADERS = 1_000;

export const DEFAULT_DPOP_ALGS: readonly JwsAlgorithm[] = ALLOWED_ALGORITHMS;

/**
 * Checks DPoP proofs with node:crypto, as the token checks are made. A
 * client signs every proof with one key, so its header segment repeats:
 * the checked header (the imported key and its thumbprint) is remembered
 * by segment, and a proof costs one signature check, one SHA-256 for `ath`
 * and a JSON parse.
 */
export class DpopProofChecker {
  readonly #options: ProofCheckOptions;
  readonly #algs: ReadonlySet<string>;
  readonly #headers = new Map<string, ProofHeader>();
  #lastSegment = '';
  #lastHeader: ProofHeader | undefined;

  constructor(options: ProofCheckOptions) {
    this.#options = options;
    this.#algs = new Set(options.algs);
  }

  /** RFC 9449 §4.3 steps 1–11 and the `ath` of §7; the `cnf.jkt` match, nonce and replay are the caller's. */
  check(request: ProofRequest, nowMs: number): CheckedProof | VerifyError {
    const { proof } = request;
    if (proof === undefined || proof === '') return new VerifyError('dpop_proof_missing');
    if (typeof proof !== 'string' || proof.includes(',')) {
      return new VerifyError('dpop_proof_invalid', { detail: 'more than one DPoP header' });
    }
    if (proof.length > this.#options.maxLength) return new VerifyError('dpop_proof_invalid', { detail: 'length' });
    const first = proof.indexOf('.');
    const second = first > 0 ? proof.indexOf('.', first + 1) : -1;
    if (second === -1 || proof.indexOf('.', second + 1) !== -1 || second === proof.length - 1) {
      return new VerifyError('dpop_proof_invalid', { detail: 'not a JWS compact serialization' });
    }
    const segment = proof.slice(0, first);
    let header: ProofHeader | VerifyError | undefined = this.#lastHeader;
    if (segment !== this.#lastSegment || header === undefined) {
      header = this.#headers.get(segment) ?? this.#checkHeader(segment);
      if (header instanceof VerifyError) return header;
      this.#lastSegment = segment;
      this.#lastHeader = header;
    }
    if (!isCanonicalBase64url(proof, first + 1, second) || !isCanonicalBase64url(proof, second + 1)) {
      return new VerifyError('dpop_proof_invalid', { detail: 'not base64url' });
    }
    const data = Buffer.from(proof.slice(0, second), 'latin1');
    const signature = Buffer.from(proof.slice(second + 1), 'base64url');
    if (!verifySignature(header.alg, header.key, data, signature)) {
      return new VerifyError('dpop_proof_invalid', { detail: 'signature' });
    }
    const claims = parseObject(Buffer.from(proof.slice(first + 1, second), 'base64url').toString('utf8'));
    if (!claims) return new VerifyError('dpop_proof_invalid', { detail: 'unreadable payload' });
    return this.#checkClaims(claims, header.jkt, request, nowMs);
  }

  #checkClaims(
    claims: Record<string, unknown>,
    jkt: string,
    request: ProofRequest,
    nowMs: number,
  ): CheckedProof | VerifyError {
    const { jti, htm, htu, iat, ath, nonce } = claims;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
      return new VerifyError('dpop_proof_invalid', { detail: 'jti' });
    }
    if (typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number' || !Number.isFinite(iat)) {
      return new VerifyError('dpop_proof_invalid', { detail: 'htm, htu or iat' });
    }
    if (nonce !== undefined && typeof nonce !== 'string')
      return new VerifyError('dpop_proof_invalid', { detail: 'nonce' });
    const now = nowMs / 1000;
    if (iat < now - this.#options.iatWindowSec || iat > now + this.#options.futureSkewSec) {
      return new VerifyError('dpop_proof_expired');
    }
    if (htm !== request.method) return new VerifyError('dpop_proof_mismatch', { detail: 'htm' });
    const url = typeof request.url === 'function' ? request.url() : request.url;
    if (url === undefined || !sameResource(htu, url)) return new VerifyError('dpop_proof_mismatch', { detail: 'htu' });
    // The token as sent (ASCII), hashed: RFC 9449 §4.2.
    if (typeof ath !== 'string' || ath !== sha256Base64url(request.accessToken)) {
      return new VerifyError('dpop_proof_mismatch', { detail: 'ath' });
    }
    return { jkt, jti, iat, htm, htu, nonce };
  }

  #checkHeader(segment: string): ProofHeader | VerifyError {
    if (!isCanonicalBase64url(segment))
      return new VerifyError('dpop_proof_invalid', { detail: 'header not base64url' });
    const header = parseObject(Buffer.from(segment, 'base64url').toString('utf8'));
    if (!header) return new VerifyError('dpop_proof_invalid', { detail: 'unreadable header' });
    const { typ, alg, jwk } = header;
    if (typeof typ !== 'string' || typ.toLowerCase() !== 'dpop+jwt') {
      return new VerifyError('dpop_proof_invalid', { detail: 'typ' });
    }
    if (typeof alg !== 'string' || !this.#algs.has(alg)) {
      return new VerifyError('dpop_alg_not_allowed', { detail: String(alg).slice(0, 20) });
    }
    // No extension is understood here (RFC 7515 §4.1.11).
    if (header.crit !== undefined) return new VerifyError('dpop_proof_invalid', { detail: 'crit' });
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
      return new VerifyError('dpop_proof_invalid', { detail: 'no jwk' });
    }
    const members = jwk as Record<string, unknown>;
    if (PRIVATE_MEMBERS.some((m) => members[m] !== undefined)) {
      return new VerifyError('dpop_proof_invalid', { detail: 'the jwk holds a private key' });
    }
    const key = importJwk(members);
    const jkt = key ? jwkThumbprint(members) : undefined;
    if (!key || !jkt) return new VerifyError('dpop_proof_invalid', { detail: 'unusable jwk' });
    if (!algorithmFitsKey(alg, key))
      return new VerifyError('dpop_alg_not_allowed', { detail: "the key's type differs" });
    const checked: ProofHeader = Object.freeze({ alg: alg as JwsAlgorithm, key, jkt });
    if (this.#headers.size >= MAX_HEADERS) this.#headers.clear();
    this.#headers.set(segment, checked);
    return checked;
  }
}

/**
 * RFC 9449 §4.3 step 9: `htu` names the request's URI without query and
 * fragment. An exact match is the common case; otherwise both are
 * normalised (RFC 3986 §6.2.2–6.2.3: case of scheme and host, default port,
 * dot segments) by the URL parser.
 */
export function sameResource(htu: string, requestUrl: string): boolean {
  const expected = stripQuery(requestUrl);
  if (htu === expected) return true;
  if (!URL.canParse(htu) || !URL.canParse(expected)) return false;
  const a = new URL(htu);
  const b = new URL(expected);
  return a.protocol === b.protocol && a.host === b.host && a.pathname === b.pathname;
}

function stripQuery(url: string): string {
  const q = url.indexOf('?');
  const h = url.indexOf('#');
  const end = q === -1 ? h : h === -1 ? q : Math.min(q, h);
  return end === -1 ? url : url.slice(0, end);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

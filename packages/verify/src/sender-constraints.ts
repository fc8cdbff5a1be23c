import type { JwsAlgorithm } from './algorithms.js';
import type { DpopNonceSource } from './dpop/nonce.js';
import { DEFAULT_DPOP_ALGS } from './dpop/proof.js';
import { type DpopReplayStore, MemoryReplayStore } from './dpop/replay.js';

/** DPoP (RFC 9449) at this resource server. */
export interface DpopOptions {
  /** Refuse tokens that are not DPoP-bound (and the Bearer scheme). Default false. */
  required?: boolean;
  /** Proof signing algorithms accepted, advertised in `WWW-Authenticate: DPoP algs="…"`. Default: every asymmetric one the verifier knows. */
  algs?: readonly JwsAlgorithm[];
  /** How old a proof's `iat` may be, in seconds. Default 60. */
  iatWindowSec?: number;
  /** How far in the future a proof's `iat` may be, in seconds (clock skew). Default 5. */
  futureSkewSec?: number;
  /** Where used proof `jti`s are kept. Default: in memory, 100 000 entries; share one across instances. */
  replay?: DpopReplayStore;
  /** Require server nonces (RFC 9449 §9), e.g. `createDpopNonces({ secret })`. Default none. */
  nonce?: DpopNonceSource;
  /** Longer proofs are refused unread, in characters. Default 8 192. */
  maxProofLength?: number;
}

/** Certificate-bound tokens (RFC 8705 §3) at this resource server. */
export interface MtlsOptions {
  /** Refuse tokens that are not certificate-bound. Default false. */
  required?: boolean;
  /**
   * The header in which a TLS-terminating proxy passes the client
   * certificate as RFC 9440 `Client-Cert` (`:<base64 DER>:`), e.g.
   * `'client-cert'`. Believed only from peers `trustProxy` trusts; from
   * anyone else it is ignored. Default none: the certificate of the TLS
   * connection.
   */
  certificateHeader?: string;
}

/** Which peers' forwarded headers are believed: all (`true`), none (`false`), these addresses, or a predicate. */
export type TrustProxy = boolean | readonly string[] | ((address: string | undefined) => boolean);

export interface ResolvedSenderConstraints {
  /** `algs` for the DPoP challenge, or undefined when DPoP is not advertised. */
  readonly dpopAdvertised: boolean;
  readonly dpopRequired: boolean;
  readonly dpopAlgs: readonly JwsAlgorithm[];
  readonly iatWindowSec: number;
  readonly futureSkewSec: number;
  readonly maxProofLength: number;
  readonly replay: DpopReplayStore;
  readonly nonce: DpopNonceSource | undefined;
  readonly mtlsAdvertised: boolean;
  readonly mtlsRequired: boolean;
  readonly certificateHeader: string | undefined;
  readonly publicOrigin: string | undefined;
  readonly trustProxy: (address: string | undefined) => boolean;
}

export function resolveSenderConstraints(
  dpop: boolean | DpopOptions | undefined,
  mtls: boolean | MtlsOptions | undefined,
  publicOrigin: string | undefined,
  trustProxy: TrustProxy | undefined,
  clock: () => number,
): ResolvedSenderConstraints {
  const d = typeof dpop === 'object' ? dpop : {};
  const m = typeof mtls === 'object' ? mtls : {};
  const algs = d.algs ?? DEFAULT_DPOP_ALGS;
  if (algs.length === 0 || algs.some((a) => !DEFAULT_DPOP_ALGS.includes(a))) {
    throw new TypeError('dpop.algs must name asymmetric JWS algorithms the verifier supports');
  }
  if (publicOrigin !== undefined && (!URL.canParse(publicOrigin) || new URL(publicOrigin).origin !== publicOrigin)) {
    throw new TypeError('publicOrigin must be an origin: scheme://host[:port], without a path or a trailing slash');
  }
  const header = m.certificateHeader?.toLowerCase();
  if (header !== undefined && !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) {
    throw new TypeError('mtls.certificateHeader must be a header name');
  }
  return Object.freeze({
    dpopAdvertised: dpop !== undefined && dpop !== false,
    dpopRequired: d.required === true,
    dpopAlgs: Object.freeze([...algs]),
    iatWindowSec: nonNegative('dpop.iatWindowSec', d.iatWindowSec, 60),
    futureSkewSec: nonNegative('dpop.futureSkewSec', d.futureSkewSec, 5),
    maxProofLength: nonNegative('dpop.maxProofLength', d.maxProofLength, 8_192),
    replay: d.replay ?? new MemoryReplayStore(100_000, clock),
    nonce: d.nonce,
    mtlsAdvertised: mtls !== undefined && mtls !== false,
    mtlsRequired: m.required === true,
    certificateHeader: header,
    publicOrigin,
    trustProxy: trustPredicate(trustProxy),
  });
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number`);
  return value;
}

function trustPredicate(trust: TrustProxy | undefined): (address: string | undefined) => boolean {
  if (trust === undefined || trust === false) return () => false;
  if (trust === true) return () => true;
  if (typeof trust === 'function') return (address) => address !== undefined && trust(address);
  const set = new Set(trust.map(unmapped));
  return (address) => address !== undefined && set.has(unmapped(address));
}

/** `::ffff:10.0.0.1`, as a dual-stack socket reports an IPv4 peer, is `10.0.0.1`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

import { DpopProofChecker } from './dpop/proof.js';
import { sha256Base64url } from './dpop/thumbprint.js';
import { VerifyError } from './errors.js';
import type { ResolvedSenderConstraints } from './sender-constraints.js';
import type { DpopConfirmation, VerifiedToken } from './verified-token.js';

/** How a token reached the resource server: what the binding checks look at. */
export interface Presentation {
  /** The `Authorization` scheme the token came with. */
  scheme: 'bearer' | 'dpop';
  /** The `DPoP` header, as received. */
  proof?: string | readonly string[] | undefined;
  /** The request method, for `htm`. */
  method?: string | undefined;
  /** The absolute URL the client called, for `htu` (query and fragment are ignored). */
  url?: string | (() => string) | undefined;
  /** The DER of the client's TLS certificate, if it presented one. */
  certificate?: Uint8Array | (() => Uint8Array | undefined) | undefined;
}

export const BEARER: Presentation = Object.freeze({ scheme: 'bearer' });

/**
 * The per-request half of verification. The token's own checks may come
 * from the cache, but this runs on every request: a bound token (`cnf`) is
 * accepted only with its proof or certificate, and never as a plain bearer
 * token, whether or not the verifier was configured for either.
 */
export class SenderCheck {
  readonly #options: ResolvedSenderConstraints;
  readonly #proofs: DpopProofChecker;

  constructor(options: ResolvedSenderConstraints) {
    this.#options = options;
    this.#proofs = new DpopProofChecker({
      algs: options.dpopAlgs,
      iatWindowSec: options.iatWindowSec,
      futureSkewSec: options.futureSkewSec,
      maxLength: options.maxProofLength,
    });
  }

  confirm(
    token: VerifiedToken,
    accessToken: string,
    presented: Presentation,
    nowMs: number,
  ): VerifiedToken | VerifyError | Promise<VerifiedToken | VerifyError> {
    const o = this.#options;
    const cnf = token.claims.cnf;
    let jkt: unknown;
    let x5t: unknown;
    if (cnf !== undefined) {
      if (typeof cnf !== 'object' || cnf === null) return new VerifyError('claim_invalid', { detail: 'cnf' });
      jkt = cnf.jkt;
      x5t = cnf['x5t#S256'];
      if ((jkt !== undefined && typeof jkt !== 'string') || (x5t !== undefined && typeof x5t !== 'string')) {
        return new VerifyError('claim_invalid', { detail: 'cnf' });
      }
    }
    let thumbprint: string | undefined;
    if (x5t !== undefined || o.mtlsRequired) {
      if (x5t === undefined) return new VerifyError('certificate_required');
      const { certificate } = presented;
      const der = typeof certificate === 'function' ? certificate() : certificate;
      if (der === undefined || der.length === 0) return new VerifyError('certificate_missing');
      thumbprint = sha256Base64url(der);
      if (thumbprint !== x5t) return new VerifyError('certificate_mismatch');
    }
    if (presented.scheme === 'bearer') {
      if (jkt !== undefined) return new VerifyError('dpop_bound_token');
      if (o.dpopRequired) return new VerifyError('dpop_required');
      return thumbprint === undefined ? token : Object.freeze({ ...token, certificateThumbprint: thumbprint });
    }
    const proof = this.#proofs.check(
      { proof: presented.proof, method: presented.method, url: presented.url, accessToken },
      nowMs,
    );
    if (proof instanceof VerifyError) return proof;
    if (jkt === undefined) return new VerifyError('dpop_not_bound');
    if (proof.jkt !== jkt) return new VerifyError('dpop_key_mismatch');
    if (o.nonce && (proof.nonce === undefined || !o.nonce.check(proof.nonce))) {
      return new VerifyError('dpop_nonce_required', { dpopNonce: o.nonce.issue() });
    }
    const dpop: DpopConfirmation = Object.freeze({
      jkt: proof.jkt,
      jti: proof.jti,
      iat: proof.iat,
      nonce: proof.nonce,
    });
    const bound = Object.freeze({
      ...token,
      dpop,
      ...(thumbprint === undefined ? {} : { certificateThumbprint: thumbprint }),
    });
    // Last, so a proof refused for another reason does not use up its jti. A
    // proof is remembered until it would be too old to be accepted anyway.
    const key = `${proof.jkt}.${proof.jti}`;
    const until = (proof.iat + o.iatWindowSec + o.futureSkewSec) * 1000 + 1;
    const fresh = o.replay.useOnce(key, Math.max(until, nowMs + 1));
    if (typeof fresh === 'boolean') return fresh ? bound : new VerifyError('dpop_proof_replayed');
    return Promise.resolve(fresh).then(
      (ok) => (ok ? bound : new VerifyError('dpop_proof_replayed')),
      (err: unknown) => new VerifyError('dpop_replay_unavailable', { cause: err }),
    );
  }
}

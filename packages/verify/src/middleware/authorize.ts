import { extractAccessToken } from '../bearer.js';
import { VerifyError } from '../errors.js';
import type { Presentation } from '../sender-check.js';
import { normalizeScopes, type VerifiedToken } from '../verified-token.js';
import type { Verifier } from '../verifier.js';
import type { RequestSource } from './request-source.js';

export type { RequestSource } from './request-source.js';

/** An HTTP answer refusing the request, the same for every framework. */
export class Denial {
  constructor(
    readonly status: 400 | 401 | 403 | 503,
    readonly headers: Readonly<Record<string, string>>,
    readonly body: { readonly error: string; readonly error_description: string },
    /** The verification failure behind it, for logging (undefined when no token was sent or it was malformed). */
    readonly cause?: VerifyError,
  ) {}
}

export interface RequireTokenOptions {
  verifier: Verifier;
  /** Scopes the token must all carry: `"a b"` or `["a", "b"]`. */
  scope?: string | readonly string[];
}

/** What the challenges of one verifier say, fixed at start. */
export interface ChallengeContext {
  metadataUrl: string | undefined;
  /** Whether the Bearer scheme is accepted (not when DPoP is required). */
  bearer: boolean;
  /** `algs` for the DPoP challenge; undefined when DPoP is not advertised. */
  dpopAlgs: string | undefined;
  /** The same, for a request that used the DPoP scheme without DPoP being advertised. */
  allDpopAlgs: string;
}

export function challengeContext(verifier: Verifier): ChallengeContext {
  const s = verifier.senderConstraints;
  const algs = s.dpopAlgs.join(' ');
  return {
    metadataUrl: verifier.resourceMetadata?.url,
    bearer: !s.dpopRequired,
    dpopAlgs: s.dpopAdvertised ? algs : undefined,
    allDpopAlgs: algs,
  };
}

/**
 * The framework-neutral middleware step: read the token (Bearer or DPoP),
 * verify it and its binding, and return the token or the RFC 6750 / RFC 9449
 * answer. Synchronous when the answer needs no I/O (a cached token or known
 * keys), so the hot path never awaits.
 */
export function createAuthorizer(options: RequireTokenOptions) {
  const { verifier } = options;
  const required = normalizeScopes(options.scope);
  // RFC 6749 §3.3 scope-token: also what keeps the WWW-Authenticate value well formed.
  if (required.some((s) => !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s))) throw new TypeError('invalid scope');
  const context = challengeContext(verifier);
  return (source: RequestSource): VerifiedToken | Denial | Promise<VerifiedToken | Denial> => {
    const presented = extractAccessToken(source);
    if ('kind' in presented) {
      return presented.kind === 'missing' ? missingToken(context) : invalidRequest(presented.description, context);
    }
    const { scheme, token } = presented;
    const presentation: Presentation = {
      scheme,
      proof: source.dpop,
      method: source.method,
      url: source.publicUrl,
      certificate: source.certificate,
    };
    const result = verifier.check(token, required, presentation);
    if (result instanceof Promise) return result.then((r) => decide(r, context, scheme));
    return decide(result, context, scheme);
  };
}

function decide(
  result: VerifiedToken | VerifyError,
  context: ChallengeContext,
  scheme: 'bearer' | 'dpop',
): VerifiedToken | Denial {
  return result instanceof VerifyError ? deny(result, context, scheme) : result;
}

/** The answer for a failed verification, with the challenge of the scheme the token came with. */
export function deny(err: VerifyError, context: ChallengeContext, scheme: 'bearer' | 'dpop' = 'bearer'): Denial {
  if (err.kind === 'unavailable') {
    return new Denial(
      503,
      { 'content-type': JSON_TYPE, 'cache-control': 'no-store', 'retry-after': '5' },
      { error: 'temporarily_unavailable', error_description: 'The access token cannot be checked right now' },
      err,
    );
  }
  const error = err.kind === 'insufficient_scope' ? 'insufficient_scope' : err.kind;
  const params: [string, string][] = [
    ['error', error],
    ['error_description', err.description],
  ];
  if (err.kind === 'insufficient_scope') params.push(['scope', (err.requiredScopes ?? []).join(' ')]);
  // A bearer request to a DPoP-only resource gets the DPoP challenge: Bearer is not on offer.
  const on = scheme === 'bearer' && !context.bearer ? 'dpop' : scheme;
  const headers = challenges(context, on, params);
  if (err.dpopNonce !== undefined) headers['dpop-nonce'] = err.dpopNonce;
  return new Denial(
    err.kind === 'insufficient_scope' ? 403 : 401,
    headers,
    { error, error_description: err.description },
    err,
  );
}

function missingToken(context: ChallengeContext): Denial {
  return new Denial(401, challenges(context, undefined, []), {
    error: 'unauthorized',
    error_description: 'An access token is required',
  });
}

function invalidRequest(description: string, context: ChallengeContext): Denial {
  const params: [string, string][] = [
    ['error', 'invalid_request'],
    ['error_description', description],
  ];
  return new Denial(400, challenges(context, context.bearer ? 'bearer' : 'dpop', params), {
    error: 'invalid_request',
    error_description: description,
  });
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * `WWW-Authenticate` with one challenge per scheme on offer (RFC 9110
 * §11.6.1): the scheme the request used first, carrying the error; `Bearer`
 * (RFC 6750 §3) unless DPoP is required; `DPoP algs="…"` (RFC 9449 §7.1)
 * when DPoP is advertised or was used. Values are fixed strings, never
 * request data.
 */
function challenges(
  context: ChallengeContext,
  errorOn: 'bearer' | 'dpop' | undefined,
  params: [string, string][],
): Record<string, string> {
  const list: string[] = [];
  const bearer = (p: [string, string][]) => list.push(challenge('Bearer', p, context.metadataUrl));
  const dpopAlgs = context.dpopAlgs ?? (errorOn === 'dpop' ? context.allDpopAlgs : undefined);
  const dpop = (p: [string, string][]) =>
    dpopAlgs !== undefined && list.push(challenge('DPoP', [...p, ['algs', dpopAlgs]], context.metadataUrl));
  if (errorOn === 'dpop') {
    dpop(params);
    if (context.bearer) bearer([]);
  } else {
    if (context.bearer) bearer(errorOn === 'bearer' ? params : []);
    dpop([]);
  }
  return { 'www-authenticate': list.join(', '), 'content-type': JSON_TYPE, 'cache-control': 'no-store' };
}

function challenge(scheme: string, params: [string, string][], metadataUrl: string | undefined): string {
  const all: [string, string][] = metadataUrl ? [...params, ['resource_metadata', metadataUrl]] : params;
  return all.length === 0 ? scheme : `${scheme} ${all.map(([k, v]) => `${k}="${v}"`).join(', ')}`;
}

import { type BearerSource, extractBearer } from '../bearer.js';
import { VerifyError } from '../errors.js';
import { normalizeScopes, type VerifiedToken } from '../verified-token.js';
import type { Verifier } from '../verifier.js';

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

/**
 * The framework-neutral middleware step: read the bearer token, verify it,
 * and return the token or the RFC 6750 answer. Synchronous when the answer
 * needs no I/O (a cached token or known keys), so the hot path never awaits.
 */
export function createAuthorizer(options: RequireTokenOptions) {
  const { verifier } = options;
  const required = normalizeScopes(options.scope);
  // RFC 6749 §3.3 scope-token: also what keeps the WWW-Authenticate value well formed.
  if (required.some((s) => !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s))) throw new TypeError('invalid scope');
  const metadataUrl = verifier.resourceMetadata?.url;
  return (source: BearerSource): VerifiedToken | Denial | Promise<VerifiedToken | Denial> => {
    const token = extractBearer(source);
    if (typeof token !== 'string') {
      return token.kind === 'missing' ? missingToken(metadataUrl) : invalidRequest(token.description, metadataUrl);
    }
    const result = verifier.attempt(token, required);
    if (result === undefined) return verifier.settle(token, required).then((r) => decide(r, metadataUrl));
    return decide(result, metadataUrl);
  };
}

function decide(result: VerifiedToken | VerifyError, metadataUrl: string | undefined): VerifiedToken | Denial {
  return result instanceof VerifyError ? deny(result, metadataUrl) : result;
}

export function deny(err: VerifyError, metadataUrl: string | undefined): Denial {
  if (err.kind === 'unavailable') {
    return new Denial(
      503,
      { 'content-type': JSON_TYPE, 'cache-control': 'no-store', 'retry-after': '5' },
      { error: 'temporarily_unavailable', error_description: 'The access token cannot be checked right now' },
      err,
    );
  }
  if (err.kind === 'insufficient_scope') {
    const scope = (err.requiredScopes ?? []).join(' ');
    return new Denial(
      403,
      challenge(
        [
          ['error', 'insufficient_scope'],
          ['error_description', err.description],
          ['scope', scope],
        ],
        metadataUrl,
      ),
      { error: 'insufficient_scope', error_description: err.description },
      err,
    );
  }
  return new Denial(
    401,
    challenge(
      [
        ['error', 'invalid_token'],
        ['error_description', err.description],
      ],
      metadataUrl,
    ),
    { error: 'invalid_token', error_description: err.description },
    err,
  );
}

function missingToken(metadataUrl: string | undefined): Denial {
  return new Denial(401, challenge([], metadataUrl), {
    error: 'unauthorized',
    error_description: 'An access token is required',
  });
}

function invalidRequest(description: string, metadataUrl: string | undefined): Denial {
  return new Denial(
    400,
    challenge(
      [
        ['error', 'invalid_request'],
        ['error_description', description],
      ],
      metadataUrl,
    ),
    {
      error: 'invalid_request',
      error_description: description,
    },
  );
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** `WWW-Authenticate: Bearer k="v", …` (RFC 6750 §3); values are fixed strings, never request data. */
function challenge(params: [string, string][], metadataUrl: string | undefined): Record<string, string> {
  if (metadataUrl) params.push(['resource_metadata', metadataUrl]);
  const value = params.length === 0 ? 'Bearer' : `Bearer ${params.map(([k, v]) => `${k}="${v}"`).join(', ')}`;
  return { 'www-authenticate': value, 'content-type': JSON_TYPE, 'cache-control': 'no-store' };
}

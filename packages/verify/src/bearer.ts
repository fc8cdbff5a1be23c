/** Why a request carries no usable bearer token (RFC 6750 §2, §3.1). */
export type BearerProblem =
  /** No credentials at all: answer 401 with a bare `Bearer` challenge. */
  | { kind: 'missing' }
  /** A malformed request: answer 400 `invalid_request`. */
  | { kind: 'invalid_request'; description: string };

export interface BearerSource {
  /** The `Authorization` header as Node parsed it (it keeps only the first of several). */
  authorization: string | undefined;
  /** `[name, value, name, value, …]` as received, to notice repeated `Authorization` headers. */
  rawHeaders?: readonly string[] | undefined;
  /** The request target, to notice an `access_token` query parameter. */
  url?: string | undefined;
}

const MISSING: BearerProblem = Object.freeze({ kind: 'missing' });
// RFC 6750 §2.1 b64token.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** A token with the scheme it came with: `Bearer` (RFC 6750) or `DPoP` (RFC 9449 §7.1). */
export interface PresentedToken {
  scheme: 'bearer' | 'dpop';
  token: string;
}

/**
 * Reads the access token from the `Authorization` header, with either
 * scheme. The same rules as `extractBearer`: one header, one credential,
 * never in the query.
 */
export function extractAccessToken(source: BearerSource): PresentedToken | BearerProblem {
  const header = source.authorization;
  const space = header === undefined ? -1 : header.indexOf(' ');
  const scheme = header === undefined ? '' : (space === -1 ? header : header.slice(0, space)).toLowerCase();
  if (scheme !== 'dpop') {
    const token = extractBearer(source);
    return typeof token === 'string' ? { scheme: 'bearer', token } : token;
  }
  const token = extractBearer({ ...source, authorization: `Bearer${(header as string).slice(4)}` });
  return typeof token === 'string' ? { scheme: 'dpop', token } : token;
}

/**
 * Reads the bearer token from the `Authorization` header, the only method
 * this resource server supports (`bearer_methods_supported: ["header"]`).
 * A token in the query is refused rather than ignored, so a client learns
 * it is leaking tokens into logs.
 */
export function extractBearer(source: BearerSource): string | BearerProblem {
  const inQuery = source.url !== undefined && hasQueryToken(source.url);
  const header = source.authorization;
  if (header === undefined || header === '') {
    return inQuery ? invalid('Send the access token in the Authorization header, not the query') : MISSING;
  }
  if (inQuery) return invalid('The access token was sent in more than one way');
  if (source.rawHeaders && countAuthorization(source.rawHeaders) > 1) {
    return invalid('More than one Authorization header was sent');
  }
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') {
    // A second scheme after the first; the first itself is neither.
    return /[\s,](bearer|dpop)(\s|$)/i.test(header)
      ? invalid('The Authorization header has more than one scheme')
      : MISSING;
  }
  const token = space === -1 ? '' : header.slice(space + 1).trim();
  if (token === '') return invalid('The bearer token is empty');
  if (/[\s,]/.test(token)) return invalid('The Authorization header holds more than one credential');
  if (!B64TOKEN.test(token)) return invalid('The Authorization header is malformed');
  return token;
}

function invalid(description: string): BearerProblem {
  return { kind: 'invalid_request', description };
}

function hasQueryToken(url: string): boolean {
  const q = url.indexOf('?');
  if (q === -1 || !url.includes('access_token', q)) return false;
  return new URLSearchParams(url.slice(q + 1)).has('access_token');
}

function countAuthorization(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name !== undefined && name.length === 13 && name.toLowerCase() === 'authorization') count++;
  }
  return count;
}

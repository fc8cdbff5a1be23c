import type { TokenTarget } from './cache-key.js';
import type { FetchLike } from './http-request.js';
import type { IssuedToken } from './token-cache.js';
import { isDpopNonceChallenge, isInvalidTokenChallenge } from './www-authenticate.js';

/** The slice of the token client this helper needs. */
export interface TokenSource {
  getIssuedToken(options: TokenTarget & { signal?: AbortSignal }): Promise<IssuedToken>;
  invalidate(target: TokenTarget, token?: string): void;
  /** A DPoP proof for this request, or undefined when DPoP is off. */
  proofFor(method: string, url: string, accessToken: string): string | undefined;
  /** Keeps a `DPoP-Nonce`; true when it is new. */
  rememberNonce(url: string, nonce: string | null): boolean;
}

/**
 * `fetch` with the token for `target`: `Authorization: Bearer <token>`, or
 * for a DPoP-bound token `Authorization: DPoP <token>` and a fresh `DPoP`
 * proof of this request (RFC 9449 §7). Two answers are retried once, when
 * the body can be sent twice:
 * - 401 `DPoP error="use_dpop_nonce"` with a new `DPoP-Nonce`: a new proof
 *   carrying it (RFC 9449 §9);
 * - 401 `error="invalid_token"` (revoked, key rotated, bound elsewhere): the
 *   token is dropped and a fresh one fetched.
 */
export async function fetchWithToken(
  source: TokenSource,
  fetchFn: FetchLike,
  input: string | URL | Request,
  init: RequestInit | undefined,
  target: TokenTarget,
): Promise<Response> {
  const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? undefined;
  const options = { ...target, ...(signal ? { signal } : {}) };
  const method = requestMethod(input, init);
  const url = input instanceof Request ? input.url : String(input);
  const send = (issued: IssuedToken) => fetchFn(input, withToken(source, input, init, issued, method, url));
  let issued = await source.getIssuedToken(options);
  let response = await send(issued);
  const nonceIsNew = source.rememberNonce(url, response.headers.get('dpop-nonce'));
  if (response.status !== 401 || !isReplayable(input, init)) return response;
  const challenge = response.headers.get('www-authenticate');
  if (issued.tokenType === 'DPoP' && nonceIsNew && isDpopNonceChallenge(challenge)) {
    await response.body?.cancel();
    response = await send(issued);
    source.rememberNonce(url, response.headers.get('dpop-nonce'));
    if (response.status !== 401) return response;
  }
  const scheme = issued.tokenType === 'DPoP' ? 'dpop' : 'bearer';
  if (!isInvalidTokenChallenge(response.headers.get('www-authenticate'), scheme)) return response;
  // Read to the end so the connection goes back to the pool.
  await response.body?.cancel();
  source.invalidate(target, issued.accessToken);
  issued = await source.getIssuedToken(options);
  response = await send(issued);
  source.rememberNonce(url, response.headers.get('dpop-nonce'));
  return response;
}

function withToken(
  source: TokenSource,
  input: string | URL | Request,
  init: RequestInit | undefined,
  issued: IssuedToken,
  method: string,
  url: string,
): RequestInit {
  // fetch(request, { headers }) replaces the request's headers, so start from them.
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  const proof = issued.tokenType === 'DPoP' ? source.proofFor(method, url, issued.accessToken) : undefined;
  if (proof === undefined) {
    headers.set('authorization', `Bearer ${issued.accessToken}`);
    headers.delete('dpop');
  } else {
    headers.set('authorization', `DPoP ${issued.accessToken}`);
    headers.set('dpop', proof);
  }
  return { ...init, headers };
}

/** The method as fetch sends it: it upper-cases only these (Fetch standard, "normalize a method"). */
const NORMALIZED = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

function requestMethod(input: string | URL | Request, init: RequestInit | undefined): string {
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  const upper = method.toUpperCase();
  return NORMALIZED.has(upper) ? upper : method;
}

/** A stream can be read once; strings, bytes, blobs and forms can be sent again. */
function isReplayable(input: string | URL | Request, init: RequestInit | undefined): boolean {
  const body = init?.body;
  if (body === undefined || body === null) return !(input instanceof Request) || input.body === null;
  return (
    typeof body === 'string' ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof FormData
  );
}

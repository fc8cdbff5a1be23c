import type { TokenTarget } from './cache-key.js';
import type { FetchLike } from './http-request.js';
import { isInvalidTokenChallenge } from './www-authenticate.js';

/** The slice of the token client this helper needs. */
export interface TokenSource {
  getToken(options: TokenTarget & { signal?: AbortSignal }): Promise<string>;
  invalidate(target: TokenTarget, token?: string): void;
}

/**
 * `fetch` with `Authorization: Bearer <token>` for `target`. If the resource
 * server answers 401 with `WWW-Authenticate: Bearer error="invalid_token"`
 * (the token was revoked, or its key rotated, before it expired), the token
 * is dropped, a fresh one fetched, and the request sent once more, but only
 * when its body can be sent twice; otherwise the 401 is returned as is.
 */
export async function fetchWithToken(
  source: TokenSource,
  fetchFn: FetchLike,
  input: string | URL | Request,
  init: RequestInit | undefined,
  target: TokenTarget,
): Promise<Response> {
  const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? undefined;
  const token = await source.getToken({ ...target, ...(signal ? { signal } : {}) });
  const response = await fetchFn(input, withBearer(input, init, token));
  if (response.status !== 401 || !isInvalidTokenChallenge(response.headers.get('www-authenticate'))) return response;
  if (!isReplayable(input, init)) return response;
  // Read to the end so the connection goes back to the pool.
  await response.body?.cancel();
  source.invalidate(target, token);
  const fresh = await source.getToken({ ...target, ...(signal ? { signal } : {}) });
  return fetchFn(input, withBearer(input, init, fresh));
}

function withBearer(input: string | URL | Request, init: RequestInit | undefined, token: string): RequestInit {
  // fetch(request, { headers }) replaces the request's headers, so start from them.
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
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

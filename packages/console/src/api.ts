/**
 * The console's only way to the server: the admin API, same origin, with the
 * session cookie the browser holds (HttpOnly: this code never sees it) and the
 * header that tells the server a write comes from the console itself.
 */

export class ApiError extends Error {
  constructor(
    /** What a person is told: never the raw answer. */
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

type Listener = () => void;
const signedOutListeners = new Set<Listener>();

/** Called when any call finds the session gone (expired, or signed out elsewhere). */
export function onSignedOut(listener: Listener): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        'x-tessera-console': '1',
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('The server cannot be reached. Check that it is running, then try again.', 0, undefined);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (response.ok) return json as T;
  const err = json as { error?: unknown; error_description?: unknown } | undefined;
  const code = typeof err?.error === 'string' ? err.error : undefined;
  const description = typeof err?.error_description === 'string' ? err.error_description : undefined;
  if (response.status === 401 && path !== '/admin/session') for (const l of signedOutListeners) l();
  throw new ApiError(explain(response.status, code, description, path), response.status, code);
}

/** An error answer in words: what happened and what to do, from the status and RFC error code. */
export function explain(status: number, code: string | undefined, description: string | undefined, path = ''): string {
  if (status === 401) {
    return path === '/admin/session'
      ? 'That admin key is not right. Check it and try again.'
      : 'Your session has ended. Sign in again to go on.';
  }
  if (status === 429) return 'Too many wrong admin keys from this address. Wait a minute, then try again.';
  if (status === 403) return 'The server refused this request from the console. Reload the page and try again.';
  if (status === 404 && code === 'not_found' && /no such resource/.test(description ?? '')) {
    return 'This server does not offer this yet: it may need an update.';
  }
  if (status === 404) return 'It no longer exists: someone may have deleted it. Reload to see what is there now.';
  if (status === 409) return 'That ID is already taken. Choose another one.';
  if (status === 413) return 'What you entered is too large for the server to accept.';
  if (status === 400 && description) return `The server did not accept this: ${sentence(description)}`;
  if (status === 400) return 'The server did not accept what was entered. Check the fields and try again.';
  if (status === 503)
    return 'The server’s database is not answering right now. Nothing was changed; try again shortly.';
  if (status >= 500) return 'The server failed to do this. Its log says why; nothing you entered was wrong.';
  return `The server refused this (status ${status}).`;
}

/** "scope: must be …" → "Scope: must be ….": the server's description, as a sentence. */
function sentence(text: string): string {
  const t = text.trim();
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/** A page of a list the admin API pages with cursors. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

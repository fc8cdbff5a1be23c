/**
 * A small typed wrapper over fetch for the CLI: one place that turns HTTP
 * answers and network failures into the errors the CLI reports, each with
 * its exit code (see EXIT_CODES in main.ts).
 */

/** Anything the CLI reports on one line and exits with `exitCode`. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/** The server answered with an error: its `error` and `error_description`. */
export class ApiError extends CliError {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string | undefined,
  ) {
    super(description ? `${error}: ${description} (HTTP ${status})` : `${error} (HTTP ${status})`, 1);
  }
}

/** A usage mistake found before anything is sent. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 1);
  }
}

/** The server could not be reached at all. */
export class ConnectError extends CliError {
  constructor(url: string, why: string) {
    super(`cannot reach ${url}: is the server running? (${why})`, 2);
  }
}

/** Long enough for a busy store (which answers 503 well within it), short enough for a script. */
const TIMEOUT_MS = 30_000;

export interface Answer<T> {
  status: number;
  body: T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** JSON-encoded, or sent as-is when a URLSearchParams (form). */
  body?: unknown;
}

/** Parses `base` once: a typo in --url or TESSERA_URL is a usage error, not a network one. */
export function baseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`not a URL: ${JSON.stringify(raw)} (set --url or TESSERA_URL, e.g. http://localhost:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`not an http(s) URL: ${raw}`);
  return url.href.replace(/\/+$/, '');
}

/** One HTTP call; a non-2xx answer becomes an ApiError, a network failure a ConnectError. */
export async function request<T>(url: string, options: RequestOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let body: string | undefined;
  if (options.body instanceof URLSearchParams) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = options.body.toString();
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new ConnectError(origin(url), networkReason(err));
  }
  const text = await response.text();
  const parsed = parseJson(text);
  if (!response.ok) {
    const e = parsed as { error?: unknown; error_description?: unknown } | undefined;
    if (typeof e?.error === 'string') {
      throw new ApiError(
        response.status,
        e.error,
        typeof e.error_description === 'string' ? e.error_description : undefined,
      );
    }
    throw new ApiError(response.status, `HTTP ${response.status} ${response.statusText}`.trim(), `from ${url}`);
  }
  if (text !== '' && parsed === undefined) {
    throw new CliError(
      `${url} answered ${response.status} with something that is not JSON: is this a Tessera server?`,
      1,
    );
  }
  return { status: response.status, body: parsed as T };
}

/** The admin API of one server, authenticated with the admin key. */
export class AdminApi {
  readonly #base: string;
  readonly #authorization: string;

  constructor(base: string, adminKey: string | undefined) {
    this.#base = baseUrl(base);
    if (!adminKey) throw new UsageError('no admin key: set TESSERA_ADMIN_KEY or pipe it to --admin-key-stdin');
    this.#authorization = `Bearer ${adminKey}`;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await request<T>(this.#base + path, {
      method,
      headers: { authorization: this.#authorization },
      body,
    });
    return answer.body;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** fetch hides the real cause (ECONNREFUSED, ENOTFOUND, …) one level down. */
function networkReason(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer in ${TIMEOUT_MS / 1000} s`;
  }
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

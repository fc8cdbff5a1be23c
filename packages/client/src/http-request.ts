import type { Timers } from './clock.js';
import { NetworkError, TimeoutError } from './errors.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * The largest answer read: token responses and metadata documents are a few
 * KiB, and a broken or hostile server must not fill this process's memory
 * within the timeout.
 */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * One HTTP exchange, body included, bounded by `timeoutMs`: a server that
 * sends headers and then stalls must time out too, and by MAX_ANSWER_BYTES.
 * Failures without a usable HTTP answer become `NetworkError` /
 * `TimeoutError`, both retryable.
 */
export async function httpRequest(
  fetchFn: FetchLike,
  timers: Timers,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<HttpAnswer> {
  const controller = new AbortController();
  const timedOut = new TimeoutError(`${init.method ?? 'GET'} ${url} timed out after ${timeoutMs} ms`);
  const handle = timers.setTimeout(() => controller.abort(timedOut), timeoutMs);
  try {
    const response = await fetchFn(url, { ...init, signal: controller.signal, redirect: 'manual' });
    const body = await readCapped(response);
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    if (controller.signal.aborted) throw timedOut;
    throw new NetworkError(`${init.method ?? 'GET'} ${url} failed: ${describe(error)}`, error);
  } finally {
    timers.clearTimeout(handle);
  }
}

/** The body as text, refused past MAX_ANSWER_BYTES whether it says its length or streams. */
async function readCapped(response: Response): Promise<string> {
  const tooLarge = () => new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
  if (Number(response.headers.get('content-length')) > MAX_ANSWER_BYTES) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

function describe(error: unknown): string {
  // undici hides the useful part (ECONNREFUSED, ENOTFOUND…) in `cause`.
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

import type { Timers } from './clock.js';
import { NetworkError, TimeoutError } from './errors.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * One HTTP exchange, body included, bounded by `timeoutMs`: a server that
 * sends headers and then stalls must time out too. Failures without an HTTP
 * answer become `NetworkError` / `TimeoutError`, both retryable.
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
    const body = await response.text();
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    if (controller.signal.aborted) throw timedOut;
    throw new NetworkError(`${init.method ?? 'GET'} ${url} failed: ${describe(error)}`, error);
  } finally {
    timers.clearTimeout(handle);
  }
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

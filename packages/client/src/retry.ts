import { type Clock, sleep, type Timers } from './clock.js';
import { TokenClientError } from './errors.js';

export interface RetryOptions {
  /** Attempts in all, the first included. 1 disables retries. */
  maxAttempts?: number;
  /** Upper bound of the first pause; doubles on each retry (full jitter). */
  baseDelay?: number;
  /** No pause is longer than this, Retry-After aside. */
  maxDelay?: number;
  /** A Retry-After longer than this ends the retries instead of holding the caller. */
  maxRetryAfter?: number;
}

export type RetryPolicy = Readonly<Required<RetryOptions>>;

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  baseDelay: 200,
  maxDelay: 5_000,
  maxRetryAfter: 30_000,
});

/**
 * "Full jitter" (a random pause between 0 and the exponential bound): many
 * clients failing at once spread out instead of retrying in lockstep.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const bound = Math.min(policy.maxDelay, policy.baseDelay * 2 ** (retry - 1));
  return Math.floor(random() * bound);
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date. Milliseconds, or undefined if absent/unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface RetryEvent {
  /** The attempt that failed (1-based). */
  attempt: number;
  /** Pause before the next attempt, in milliseconds. */
  delay: number;
  error: TokenClientError;
}

export interface RetryContext {
  policy: RetryPolicy;
  timers: Timers;
  clock: Clock;
  random: () => number;
  onRetry?: (event: RetryEvent) => void;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or the
 * attempts run out. Only `TokenClientError`s marked `retryable` are retried:
 * a refused credential (`invalid_client`) or scope never is.
 */
export async function withRetry<T>(
  context: RetryContext,
  attempt: (n: number) => Promise<T>,
): Promise<{ value: T; attempts: number }> {
  for (let n = 1; ; n++) {
    try {
      return { value: await attempt(n), attempts: n };
    } catch (error) {
      const delay = retryDelay(error, n, context);
      if (delay === undefined) throw withAttempts(error, n);
      context.onRetry?.({ attempt: n, delay, error: error as TokenClientError });
      await sleep(context.timers, delay);
    }
  }
}

function retryDelay(error: unknown, attempt: number, context: RetryContext): number | undefined {
  if (!(error instanceof TokenClientError) || !error.retryable) return undefined;
  if (attempt >= context.policy.maxAttempts) return undefined;
  const backoff = backoffDelay(attempt, context.policy, context.random);
  if (error.retryAfterMs === undefined) return backoff;
  if (error.retryAfterMs > context.policy.maxRetryAfter) return undefined;
  return Math.max(backoff, error.retryAfterMs);
}

const attemptsKey = Symbol('attempts');

function withAttempts(error: unknown, attempts: number): unknown {
  if (typeof error === 'object' && error !== null) (error as { [attemptsKey]?: number })[attemptsKey] = attempts;
  return error;
}

/** How many attempts were made before `error` was given up on (1 if unknown). */
export function attemptsOf(error: unknown): number {
  return (typeof error === 'object' && error !== null && (error as { [attemptsKey]?: number })[attemptsKey]) || 1;
}

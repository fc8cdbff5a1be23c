import type { Clock } from './clock.js';
import { CircuitOpenError, countsTowardCircuit } from './errors.js';

export interface CircuitBreakerOptions {
  /** Consecutive failed token requests (each after its retries) that pause all requests. */
  failureThreshold?: number;
  /** First pause, in milliseconds; doubles each time the trial request after a pause fails. */
  cooldown?: number;
  /** Longest pause, in milliseconds. */
  maxCooldown?: number;
}

export type CircuitBreakerPolicy = Readonly<Required<CircuitBreakerOptions>>;

export const defaultCircuitBreakerPolicy: CircuitBreakerPolicy = Object.freeze({
  failureThreshold: 3,
  cooldown: 5_000,
  maxCooldown: 60_000,
});

/**
 * Keeps a token endpoint that is down from turning into a retry storm: after
 * `failureThreshold` consecutive failures every request fails fast with
 * `CircuitOpenError` until the cooldown ends; then exactly one trial request
 * goes out, and its outcome closes the circuit or pauses it again, longer.
 * A `Retry-After` the client gave up waiting for pauses it too.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private cooldown: number;
  private trialInFlight = false;
  private lastError: unknown;

  constructor(
    private readonly policy: CircuitBreakerPolicy,
    private readonly clock: Clock,
  ) {
    this.cooldown = policy.cooldown;
  }

  async run<T>(operation: () => Promise<T>): Promise<T> {
    const isTrial = this.admit();
    try {
      const value = await operation();
      this.onSuccess();
      return value;
    } catch (error) {
      this.onFailure(error, isTrial);
      throw error;
    } finally {
      if (isTrial) this.trialInFlight = false;
    }
  }

  /** Throws while paused; returns whether this call is the one trial after a pause. */
  private admit(): boolean {
    if (this.failures < this.policy.failureThreshold && this.openUntil === 0) return false;
    const now = this.clock.now();
    if (now < this.openUntil || this.trialInFlight) {
      throw new CircuitOpenError(Math.max(this.openUntil, now), this.lastError);
    }
    this.trialInFlight = true;
    return true;
  }

  private onSuccess(): void {
    this.failures = 0;
    this.openUntil = 0;
    this.cooldown = this.policy.cooldown;
    this.lastError = undefined;
  }

  private onFailure(error: unknown, isTrial: boolean): void {
    if (!countsTowardCircuit(error)) return;
    this.lastError = error;
    this.failures++;
    const retryAfter = (error as { retryAfterMs?: number }).retryAfterMs ?? 0;
    if (this.failures < this.policy.failureThreshold && retryAfter === 0) return;
    if (isTrial) this.cooldown = Math.min(this.cooldown * 2, this.policy.maxCooldown);
    const pause = Math.max(this.cooldown, Math.min(retryAfter, this.policy.maxCooldown));
    this.openUntil = this.clock.now() + pause;
  }
}

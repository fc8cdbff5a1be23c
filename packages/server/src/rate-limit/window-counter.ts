import type { Redis } from 'ioredis';

export interface WindowCount {
  count: number;
  /** When the window ends (ms since the epoch). */
  resetAt: number;
}

/** Fixed-window counters: `hit` counts one event for `key` in the current window. */
export interface WindowCounter {
  hit(key: string, windowMs: number, now: number): Promise<WindowCount>;
}

/**
 * One node's counters, in memory. Bounded: when full, expired windows are
 * swept, and if none has expired the oldest is dropped (a flood of distinct
 * keys costs memory, never unbounded memory).
 */
export class LocalCounter implements WindowCounter {
  readonly #windows = new Map<string, WindowCount>();
  constructor(private readonly maxKeys = 100_000) {}

  async hit(key: string, windowMs: number, now: number): Promise<WindowCount> {
    let w = this.#windows.get(key);
    if (!w || w.resetAt <= now) {
      if (this.#windows.size >= this.maxKeys) this.#sweep(now);
      w = { count: 0, resetAt: now + windowMs };
      this.#windows.set(key, w);
    }
    w.count++;
    return { ...w };
  }

  #sweep(now: number): void {
    for (const [k, w] of this.#windows) if (w.resetAt <= now) this.#windows.delete(k);
    if (this.#windows.size >= this.maxKeys) this.#windows.delete(this.#windows.keys().next().value as string);
  }
}

const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

/** Counters shared by every node through Redis (atomic INCR + PEXPIRE in one script). */
export class RedisCounter implements WindowCounter {
  constructor(private readonly redis: Redis) {}

  async hit(key: string, windowMs: number, now: number): Promise<WindowCount> {
    const [count, ttl] = (await this.redis.eval(HIT, 1, `tessera:rl:${key}`, String(windowMs))) as [number, number];
    return { count, resetAt: now + (ttl > 0 ? ttl : windowMs) };
  }
}

import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

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

/**
 * Shared counters that fall back to this node's own while they fail (Redis
 * away): limits then hold per node, each node counting alone, rather than
 * not at all, so a failure budget still stops a brute force. One line is
 * logged when the fallback starts and one when the shared counters answer again.
 */
export class FallbackCounter implements WindowCounter {
  #fallingBack = false;

  constructor(
    private readonly shared: WindowCounter,
    private readonly local: WindowCounter,
    private readonly logger: Logger,
  ) {}

  async hit(key: string, windowMs: number, now: number): Promise<WindowCount> {
    let counted: WindowCount;
    try {
      counted = await this.shared.hit(key, windowMs, now);
    } catch (err) {
      if (!this.#fallingBack) this.logger.warn({ err }, 'shared rate limit counters unavailable: counting per node');
      this.#fallingBack = true;
      return this.local.hit(key, windowMs, now);
    }
    if (this.#fallingBack) this.logger.info('shared rate limit counters available again');
    this.#fallingBack = false;
    return counted;
  }
}

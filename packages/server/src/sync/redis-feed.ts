import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redisOptions } from '../store/redis/redis-state.js';
import type { Change, ChangeFeed } from './change-feed.js';

const CHANNEL = 'tessera:changes';

/**
 * Several nodes with Redis: changes go out on a pub/sub channel. A node that
 * lost its subscription may have missed some, so on every reconnect it drops
 * all it cached (onReset).
 */
export class RedisFeed implements ChangeFeed {
  readonly #origin = `${process.pid}:${Math.random().toString(36).slice(2)}`;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
  ) {}

  /**
   * Connects in the background; the subscription is queued until Redis
   * answers. `logger` hears once when the subscription is lost and once when
   * it is back: meanwhile this node misses changes made elsewhere.
   */
  static connect(url: string, logger?: Logger): RedisFeed {
    const pub = new Redis(url, redisOptions());
    const sub = new Redis(url, { ...redisOptions(), enableOfflineQueue: true, commandTimeout: undefined });
    for (const r of [pub, sub]) {
      r.on('error', () => {});
      r.connect().catch(() => {});
    }
    let lost = false;
    sub.on('error', (err: Error) => {
      if (!lost)
        logger?.warn({ err: err.message }, 'change feed lost: changes made on other nodes are missed until it is back');
      lost = true;
    });
    sub.on('ready', () => {
      if (lost) logger?.info('change feed back: caches dropped, since changes may have been missed');
      lost = false;
    });
    sub.subscribe(CHANNEL).catch(() => {});
    return new RedisFeed(pub, sub);
  }

  publish(change: Change): void {
    // Best effort: a lost message is covered by the cache's max age.
    this.pub.publish(CHANNEL, JSON.stringify({ origin: this.#origin, change })).catch(() => {});
  }

  subscribe(onChange: (change: Change) => void, onReset?: () => void): void {
    this.sub.on('message', (_channel: string, text: string) => {
      try {
        const { origin, change } = JSON.parse(text) as { origin: string; change: Change };
        if (origin !== this.#origin) onChange(change);
      } catch {
        // Not ours: ignore.
      }
    });
    // 'ready' fires again after each reconnect (ioredis resubscribes by itself).
    let first = true;
    this.sub.on('ready', () => {
      if (!first) onReset?.();
      first = false;
    });
  }

  async close(): Promise<void> {
    this.pub.disconnect();
    this.sub.disconnect();
  }
}

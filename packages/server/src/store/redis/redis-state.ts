import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../store-errors.js';
import type { ReplayStore, RevocationStore } from '../types.js';

const PREFIX = 'tessera:';

/**
 * The fast shared state several nodes need on the hot path: spent assertion
 * jtis and the JWT revocation denylist, each key expiring with the token it
 * guards. Any Redis failure surfaces as StoreUnavailableError, so methods
 * that need replay protection fail closed (503) rather than open.
 */
export class RedisState implements ReplayStore, RevocationStore {
  private constructor(private readonly redis: Redis) {}

  /**
   * Connects in the background: a node whose Redis is down still starts,
   * answers 503 where it needs Redis and /readyz 503, and recovers by itself.
   */
  static connect(url: string, logger?: Logger): RedisState {
    const redis = new Redis(url, redisOptions());
    let down = false;
    redis.on('error', (err: Error) => {
      if (!down) logger?.warn({ err: err.message }, 'redis unavailable');
      down = true;
    });
    redis.on('ready', () => {
      if (down) logger?.info('redis available again');
      down = false;
    });
    redis.connect().catch(() => {});
    return new RedisState(redis);
  }

  async useOnce(key: string, expiresAt: number, now: number): Promise<boolean> {
    const ttl = Math.max(1, expiresAt - now);
    // SET NX is atomic: of any number of racing nodes, exactly one gets OK.
    return (await this.#run(() => this.redis.set(`${PREFIX}jti:${key}`, '1', 'PX', ttl, 'NX'))) === 'OK';
  }

  async revokeJti(jti: string, expiresAt: number): Promise<void> {
    await this.#run(() => this.redis.set(`${PREFIX}revoked:${jti}`, '1', 'PXAT', expiresAt));
  }

  async isJtiRevoked(jti: string): Promise<boolean> {
    return (await this.#run(() => this.redis.exists(`${PREFIX}revoked:${jti}`))) === 1;
  }

  async ping(): Promise<void> {
    await this.#run(() => this.redis.ping());
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw new StoreUnavailableError(`redis: ${(err as Error).message}`);
    }
  }
}

/**
 * Fail fast while Redis is away (no offline queue, one attempt per command,
 * short timeouts), reconnect in the background with a capped backoff.
 */
export function redisOptions() {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
  };
}

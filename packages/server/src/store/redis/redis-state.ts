import type { Result } from 'ioredis';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { BatchedInserts } from '../batched-inserts.js';
import { JtiUse } from '../jti-use.js';
import { StoreUnavailableError } from '../store-errors.js';
import type { DurableRevocationStore, ReplayStore, RevocationStore } from '../types.js';

const PREFIX = 'tessera:';

/**
 * Each key holds its logical expiry (ms) as its value and is compared with
 * the caller's `now`, so Redis honours the same contract as the SQL stores
 * (whose clock is the caller's); the physical TTL only reclaims memory.
 * Scripts run atomically: of any number of racing nodes, exactly one wins.
 */
const USE_ONCE = `
local held = redis.call('GET', KEYS[1])
if held and tonumber(held) > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;
const REVOKE = `
local held = redis.call('GET', KEYS[1])
if held and tonumber(held) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;
const IS_REVOKED = `
local held = redis.call('GET', KEYS[1])
if held and tonumber(held) > tonumber(ARGV[1]) then return 1 end
return 0`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** USE_ONCE, defined on the connection by RedisState (defineCommand): KEYS[1], expiresAt, now, physical TTL. */
    tesseraUseOnce(key: string, expiresAt: string, now: string, ttlMs: string): Result<number, Context>;
  }
}

/** Physical TTL: the logical one, plus a margin for clock differences between nodes. */
const ttlMs = (expiresAt: number, now: number) => String(Math.max(1, expiresAt - now) + 60_000);

/**
 * The fast shared state several nodes need: spent assertion jtis and the JWT
 * revocation denylist, each key expiring with the token it guards.
 *
 * Replay: Redis only; any Redis failure is a StoreUnavailableError, so
 * methods that need replay protection fail closed (503) rather than open.
 *
 * Revocation: acknowledged only once it is in the durable store; Redis holds
 * a copy for fast reads, rebuilt from the store every time Redis
 * (re)connects, so a Redis restart cannot un-revoke a token. Until the copy
 * is rebuilt, and while Redis is away, reads go to the store.
 */
export class RedisState implements ReplayStore, RevocationStore {
  #synced = false;
  /**
   * The uses of one event-loop turn, sent as one pipeline (one write to the
   * socket, one read of the replies) of EVALSHA calls: each script still runs
   * alone and atomically, so batching changes no answer.
   */
  readonly #uses = new BatchedInserts<JtiUse>(
    (u) => this.#useOnceAll([u]),
    (uses) => this.#useOnceAll(uses),
  );

  private constructor(
    /** The connection, shared with other users of Redis on this node (rate-limit counters). */
    readonly client: Redis,
    private readonly durable: DurableRevocationStore,
    private readonly now: () => number,
  ) {
    // EVALSHA, loading the script again after a Redis restart (NOSCRIPT): EVAL sent it with every use.
    client.defineCommand('tesseraUseOnce', { numberOfKeys: 1, lua: USE_ONCE });
  }

  /**
   * Connects in the background: a node whose Redis is down still starts,
   * answers 503 where it needs Redis and /readyz 503, and recovers by itself.
   */
  static connect(url: string, durable: DurableRevocationStore, now: () => number, logger?: Logger): RedisState {
    const redis = new Redis(url, redisOptions());
    const state = new RedisState(redis, durable, now);
    let down = false;
    redis.on('error', (err: Error) => {
      if (!down) logger?.warn({ err: err.message }, 'redis unavailable');
      down = true;
    });
    redis.on('close', () => {
      state.#synced = false;
    });
    redis.on('ready', () => {
      if (down) logger?.info('redis available again');
      down = false;
      state.#resync().catch((err: unknown) => logger?.warn({ err }, 'rebuilding the Redis denylist failed'));
    });
    redis.connect().catch(() => {});
    return state;
  }

  async #resync(): Promise<void> {
    const now = this.now();
    const revoked = await this.durable.listRevokedJtis(now);
    const batch = this.client.multi();
    for (const r of revoked)
      batch.eval(REVOKE, 1, `${PREFIX}revoked:${r.jti}`, String(r.expiresAt), ttlMs(r.expiresAt, now));
    await batch.exec();
    this.#synced = true;
  }

  /** Resolves once Redis answers and holds the denylist (start-up checks and tests). */
  async ready(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.#synced && this.client.status === 'ready')) {
      if (Date.now() > deadline) throw new StoreUnavailableError('redis: not ready');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async useOnce(key: string, expiresAt: number, now: number): Promise<boolean> {
    const use = new JtiUse(key, expiresAt, now);
    await this.#uses.add(use);
    return use.firstUse;
  }

  /** Any failure fails the whole batch as unavailable (503): a use nobody can confirm is never a first use. */
  async #useOnceAll(uses: readonly JtiUse[]): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const u of uses) {
      pipeline.tesseraUseOnce(`${PREFIX}jti:${u.key}`, String(u.expiresAt), String(u.now), ttlMs(u.expiresAt, u.now));
    }
    const results = await this.#run(() => pipeline.exec());
    if (results === null) throw new StoreUnavailableError('redis: pipeline discarded');
    for (const [i, [err, won]] of results.entries()) {
      if (err) throw new StoreUnavailableError(`redis: ${err.message}`);
      (uses[i] as JtiUse).firstUse = won === 1;
    }
  }

  async revokeJti(jti: string, expiresAt: number): Promise<void> {
    await this.durable.revokeJti(jti, expiresAt);
    // If this fails, Redis is away: reads fall back to the store, and the copy is rebuilt on reconnect.
    await this.client
      .eval(REVOKE, 1, `${PREFIX}revoked:${jti}`, String(expiresAt), ttlMs(expiresAt, this.now()))
      .catch(() => {});
  }

  async isJtiRevoked(jti: string, now: number): Promise<boolean> {
    if (this.#synced && this.client.status === 'ready') {
      try {
        return (await this.client.eval(IS_REVOKED, 1, `${PREFIX}revoked:${jti}`, String(now))) === 1;
      } catch {
        // Redis just went away: ask the store.
      }
    }
    return this.durable.isJtiRevoked(jti, now);
  }

  async ping(): Promise<void> {
    await this.#run(() => this.client.ping());
  }

  async close(): Promise<void> {
    this.client.disconnect();
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

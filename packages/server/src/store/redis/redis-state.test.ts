import { after } from 'node:test';
import { runStoreContract } from '../contract.test-suite.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import type { Store } from '../types.js';
import { RedisState } from './redis-state.js';

const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const opened: RedisState[] = [];
after(async () => {
  for (const r of opened) await r.close();
});

/**
 * The parts Redis holds (replay, the revocation denylist) run through the
 * same contract suite as every store: a SQLite store whose replay and
 * revocation methods are Redis's, as a node with TESSERA_REDIS_URL has them.
 */
/** Each a node of its own: its own SQLite, its own Redis connection, one Redis. */
async function openNode(): Promise<Store> {
  const sql = new SqliteStore(':memory:');
  const durable = {
    revokeJti: sql.revokeJti.bind(sql),
    isJtiRevoked: sql.isJtiRevoked.bind(sql),
    listRevokedJtis: sql.listRevokedJtis.bind(sql),
  };
  const redis = RedisState.connect(REDIS_URL, durable, Date.now);
  opened.push(redis);
  try {
    await redis.ready();
  } catch {
    throw new Error(
      `Redis is not reachable at ${REDIS_URL}. Start it with ` +
        '`redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no`.',
    );
  }
  const store: Store = sql;
  store.useOnce = (key, expiresAt, now) => redis.useOnce(key, expiresAt, now);
  store.revokeJti = (jti, expiresAt) => redis.revokeJti(jti, expiresAt);
  store.isJtiRevoked = (jti, now) => redis.isJtiRevoked(jti, now);
  return store;
}

runStoreContract('SQLite + Redis', openNode, { redisHoldsReplayAndRevocation: true, openPeer: openNode });

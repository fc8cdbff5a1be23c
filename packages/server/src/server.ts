import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type AdminKey, resolveAdminKey } from './admin/admin-key.js';
import { AuditActors } from './admin/audit-actor.js';
import { HistoryRetention } from './admin/retention.js';
import { DpopNonces } from './binding/dpop-nonce.js';
import { loadClientCa } from './client-auth/certificate-chain.js';
import { SecretRehasher } from './client-auth/rehash-secret.js';
import { RemoteJwksCache } from './client-auth/remote-jwks.js';
import { ClientRegistry, DEFAULT_REGISTRY_OPTIONS } from './clients/client-registry.js';
import { followClientChanges } from './clients/follow-client-changes.js';
import type { Config } from './config/load-config.js';
import { ConsoleSessions } from './console/console-sessions.js';
import { endpointsFor, type ServerContext } from './core/context.js';
import { loadEncryptionKey, previousKeys } from './crypto/encryption-key.js';
import { reencryptAtStart } from './crypto/encryption-key-rotation.js';
import { Sealer } from './crypto/sealer.js';
import { SecretHasher } from './crypto/secret-hasher.js';
import { Federation } from './federation/federation.js';
import { IdentityIndex } from './federation/identity-index.js';
import { platformSubjectTokens } from './federation/platform-subject-tokens.js';
import { PlatformTokens } from './federation/platform-tokens.js';
import { TrustedIssuers } from './federation/trusted-issuers.js';
import { ownTokens } from './grants/subject-token.js';
import { buildApp } from './http/app.js';
import { createLogger } from './logging/logger.js';
import { ActivityCounter } from './metrics/activity-counter.js';
import { Metrics, timedStore } from './metrics/metrics.js';
import { Throttle } from './rate-limit/throttle.js';
import { FallbackCounter, LocalCounter, RedisCounter } from './rate-limit/window-counter.js';
import { DEFAULT_EVENTS_OPTIONS } from './status/status-events.js';
import { StatusLists } from './status/status-lists.js';
import { openStore } from './store/open-store.js';
import type { RedisState } from './store/redis/redis-state.js';
import type { Store } from './store/types.js';
import { type ChangeFeed, LocalFeed } from './sync/change-feed.js';
import { ClusterFeed } from './sync/cluster-feed.js';
import { refreshKeys } from './tokens/key-refresh.js';
import { KeyRotationSchedule } from './tokens/key-rotation-schedule.js';
import { SigningKeys } from './tokens/signing-keys.js';
import { VerifiedJwts } from './tokens/verified-jwts.js';
import { annotatedClientLookup } from './tracing/client-lookup.js';
import { tracedCalls } from './tracing/traced-calls.js';
import { tracing } from './tracing/tracing.js';

export { type Config, ConfigError, loadConfig } from './config/load-config.js';

import { defaultAudienceFor, issuerFor } from './config/load-config.js';

export interface TesseraOptions {
  logger?: Logger;
  /** Milliseconds since the epoch; tests pass a clock they can move. */
  now?: () => number;
  /** The issuer, when it is known only after binding (port 0). */
  issuer?: string;
  /** How this process hears of changes made by others (default: it is alone). */
  feed?: ChangeFeed;
}

export interface Tessera {
  app: FastifyInstance;
  ctx: ServerContext;
  /** The admin key generated on this start, if any: print it once. */
  generatedAdminKey: string | undefined;
  keySchedule: KeyRotationSchedule;
  /** Purges old audit entries and activity counts (hourly; `purge()` runs it now). */
  retention: HistoryRetention;
  /** Reads the registry into the client cache in the background (after listening); stops at close. */
  warmClientCache(): void;
  close(): Promise<void>;
}

/** How often expired opaque tokens, denylist entries and spent jtis are purged. */
const PURGE_INTERVAL_MS = 60_000;

/**
 * The composition root: opens the store, loads keys, builds every service
 * and the HTTP app. Nothing listens yet.
 */
export async function createTessera(config: Config, options: TesseraOptions = {}): Promise<Tessera> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const now = options.now ?? Date.now;
  const issuer = options.issuer ?? issuerFor(config, config.port);
  const { store: rawStore, keyFile } = await openStore(config.databaseUrl, logger);
  let keys: SigningKeys | undefined;
  const metrics = new Metrics(() => keys?.list().length ?? 0, config.metrics);
  const store = timedStore(rawStore, metrics);
  try {
    const encryption = loadEncryptionKey(config.encryptionKey, keyFile);
    if (encryption.source === 'generated') {
      logger.warn({ keyFile }, 'generated a new encryption key: back it up with the database');
    }
    if (store.kind !== 'sqlite' && encryption.source !== 'environment') {
      // A shared database sealed under a node-local key: other nodes cannot open its signing keys.
      logger.warn('set TESSERA_ENCRYPTION_KEY: every node sharing this database must use the same key');
    }
    const previous = previousKeys(encryption.key, config.encryptionKeyPrevious);
    const sealer = new Sealer(encryption.key, previous);
    const hasher = new SecretHasher(encryption.key, 'client-secret', previous);
    const tokenHasher = new SecretHasher(encryption.key, 'opaque-token', previous);
    const redis = config.redisUrl ? await connectRedis(config.redisUrl, store, now, logger) : undefined;
    const feed = options.feed ?? (await openFeed(config, store, logger));
    const throttle = new Throttle(
      redis ? new FallbackCounter(new RedisCounter(redis.client), new LocalCounter(), logger) : new LocalCounter(),
      {
        tokensPerMinute: config.tokenRateLimit,
        failuresPerAddress: config.authFailuresPerAddress,
        failuresPerClient: config.authFailuresPerClient,
      },
      metrics,
      logger,
    );
    const clients = new ClientRegistry(store, hasher, sealer, now, feed, {
      ...DEFAULT_REGISTRY_OPTIONS,
      cacheSize: config.clientCacheSize,
    });
    followClientChanges(clients, feed);
    keys = new SigningKeys(store, sealer, config.signingAlg, now, feed);
    const adminKey: AdminKey = await resolveAdminKey(config.adminKey, config.adminKeyPrevious, store, hasher, logger);
    // Before the keys are loaded: they then open under the current key, and a wrong key is reported first.
    await reencryptAtStart({ store, sealer, hasher, adminKeyHashes: adminKey.hashes, now: now(), logger });
    await keys.init();
    const trustedIssuers = new TrustedIssuers(store, now, issuer, feed, undefined, (from, reason, keptKeysAgeMs) =>
      logger.warn(
        {
          trustedIssuer: from,
          reason,
          keptKeysAgeS: keptKeysAgeMs === undefined ? null : Math.round(keptKeysAgeMs / 1000),
        },
        keptKeysAgeMs === undefined
          ? "a trusted issuer's keys could not be fetched: its tokens are refused"
          : "a trusted issuer's keys could not be refreshed: the keys fetched before are still used",
      ),
    );
    trustedIssuers.follow((err) => logger.warn({ err }, 'reloading the trusted issuers failed'));
    await trustedIssuers.load();
    const federation = await startFederation(trustedIssuers, clients, store, now, logger);
    const endpoints = endpointsFor(issuer);
    const activity = new ActivityCounter(store, now, logger);
    const verifiedJwts = new VerifiedJwts(keys, issuer);
    const statusLists = config.statusLists
      ? new StatusLists(store, keys, issuer, clients, feed, now, logger, {
          events: { ...DEFAULT_EVENTS_OPTIONS, maxSubscribers: config.statusEventsMaxSubscribers },
        })
      : undefined;
    if (statusLists) clients.beforeDelete = (clientId) => statusLists.clientDeleted(clientId);
    const ctx: ServerContext = {
      config,
      issuer,
      endpoints,
      store,
      revocations: redis ?? store,
      lifecycle: { draining: false },
      // Readiness follows the store; Redis is reported by /readyz, not gated on (http/routes/health.ts).
      checkReady: () => store.ping(),
      clients,
      trustedIssuers,
      keys,
      verifiedJwts,
      tokenHasher,
      logger,
      metrics,
      activity,
      auditActors: new AuditActors(encryption.key),
      throttle,
      now,
      statusLists,
      dpop: {
        replay: redis ?? store,
        nonces: config.dpopNonce === 'required' ? new DpopNonces(encryption.key, previous) : undefined,
        now,
      },
      grants: {
        defaultAudience: Object.freeze([defaultAudienceFor(config, issuer)]),
        // A trusted issuer's JWT (its iss) is read by the platform reader; every other token by ours.
        subjectTokens: [
          platformSubjectTokens(federation.tokens, now),
          ownTokens({ store, tokenHasher, issuer, verifiedJwts, revocations: redis ?? store, clients, now }),
        ],
        now,
      },
      auth: {
        clients: tracing === null ? clients : annotatedClientLookup(clients, tracing),
        hasher,
        now,
        rehash: hasher.hasPreviousKeys
          ? new SecretRehasher(store, hasher, (clientId) => clients.invalidate(clientId), logger)
          : undefined,
        clientCa: config.tlsClientCa ? loadClientCa(config.tlsClientCa) : undefined,
        federation,
        onAuthenticated: metrics.enabled ? (method) => metrics.authenticated(method) : undefined,
        assertion: {
          sealer,
          replay: redis ?? store,
          remoteJwks: new RemoteJwksCache(),
          audiences: new Set([issuer, endpoints.token]),
        },
      },
    };
    // The console's sessions (TESSERA_CONSOLE), told to the other workers and nodes over the feed.
    const consoleMac = new SecretHasher(encryption.key, 'console-session');
    const consoleSessions = config.console
      ? new ConsoleSessions(now, (id) => ctx.auditActors.consoleSession(id), {
          sharing: { feed, mac: (text) => consoleMac.digest(text) },
        })
      : undefined;
    const app = buildApp(ctx, adminKey, redis ? { redis: () => redis.ping() } : {}, consoleSessions);
    const keySchedule = new KeyRotationSchedule(keys, config.keyRotationDays * 24 * 3600 * 1000, now, logger);
    keySchedule.start();
    const keyRefresh = refreshKeys(keys, feed, logger);
    const purge = setInterval(() => {
      store.purgeExpired(now()).catch((err: unknown) => logger.warn({ err }, 'purge of expired rows failed'));
    }, PURGE_INTERVAL_MS);
    purge.unref();
    activity.start();
    const retention = new HistoryRetention(store, config.auditRetentionDays, now, logger);
    retention.start();
    let closing = false;
    return {
      app,
      ctx,
      generatedAdminKey: adminKey.generated,
      keySchedule,
      retention,
      warmClientCache() {
        const started = performance.now();
        clients
          .warm(() => closing)
          .then(
            (read) =>
              logger.info({ clients: read, ms: Math.round(performance.now() - started) }, 'client cache filled'),
            (err: unknown) => {
              if (!closing) logger.warn({ err }, 'filling the client cache failed: clients are read on first use');
            },
          );
      },
      async close() {
        closing = true;
        clearInterval(purge);
        keySchedule.stop();
        keyRefresh.stop();
        await app.close();
        // After the last request: its counts are written too.
        await activity.stop();
        await retention.stop();
        await feed.close();
        await redis?.close();
        await store.close();
      },
    };
  } catch (err) {
    await closeQuietly(store);
    throw err;
  }
}

/**
 * Workloads without secrets (federated_jwt): the index of which clients
 * accept which platform identity is built from the store before serving (a
 * request naming no client_id needs it whole) and follows every client
 * change the registry hears of, here or from another node.
 */
async function startFederation(
  issuers: TrustedIssuers,
  clients: ClientRegistry,
  store: Store,
  now: () => number,
  logger: Logger,
): Promise<Federation> {
  const identities = new IdentityIndex(store);
  clients.onForget((clientId) => {
    const done = clientId === undefined ? identities.build() : identities.refresh(clientId);
    done.catch((err: unknown) => logger.warn({ err }, 'rebuilding the federated identity index failed'));
  });
  const started = performance.now();
  const federated = await identities.build();
  if (federated > 0) {
    logger.info({ clients: federated, ms: Math.round(performance.now() - started) }, 'federated identities indexed');
  }
  return new Federation(new PlatformTokens(issuers), identities, now);
}

/**
 * How this process hears of changes made elsewhere: Redis pub/sub when there
 * is Redis, else PostgreSQL LISTEN/NOTIFY, else the cluster primary's relay
 * (workers sharing one SQLite file), else nobody (a single process).
 * The drivers load only when used: loading pg and ioredis regardless cost
 * an embedded-store process 11 MB (idle VmRSS of dist/main.js: 95 → 84 MB).
 */
async function openFeed(config: Config, store: Store, logger: Logger): Promise<ChangeFeed> {
  if (config.redisUrl) return (await import('./sync/redis-feed.js')).RedisFeed.connect(config.redisUrl, logger);
  if (store.kind === 'postgres') {
    return (await import('./sync/postgres-feed.js')).PostgresFeed.connect(config.databaseUrl, logger);
  }
  if (cluster.isWorker) return new ClusterFeed();
  return new LocalFeed();
}

async function connectRedis(...args: Parameters<typeof RedisState.connect>): Promise<RedisState> {
  const state = (await import('./store/redis/redis-state.js')).RedisState.connect(...args);
  return tracing === null ? state : tracedCalls(state, 'redis', tracing);
}

async function closeQuietly(store: Store): Promise<void> {
  try {
    await store.close();
  } catch {
    // Already failing: the first error is the one worth reporting.
  }
}

import { randomUUID } from 'node:crypto';
import { authMethod } from '../client-auth/registry.js';
import { randomToken } from '../crypto/random.js';
import { secretContext } from '../crypto/sealed-contexts.js';
import type { Sealer } from '../crypto/sealer.js';
import type { SecretHasher } from '../crypto/secret-hasher.js';
import { Conflict, InvalidClientMetadata, NotFound } from '../errors/index.js';
import { auditEntry } from '../store/audit-entry.js';
import { type AuditOrigin, type ClientStore, DuplicateClientError, type SecretChange } from '../store/types.js';
import { type ChangeFeed, LocalFeed } from '../sync/change-feed.js';
import { BoundedCache } from './bounded-cache.js';
import type { ClientMetadata, ClientRecord, SecretRecord, StoredClient } from './client.js';
import { applyPatch, isClientId, parseCreate, usesSecret } from './client-metadata.js';
import { SharedValues } from './shared-values.js';

export interface RegistryOptions {
  /** Clients kept in memory (about the least recently used go first): TESSERA_CLIENT_CACHE_SIZE. */
  cacheSize: number;
  /**
   * A backstop should a change notification be lost (a node stopping between
   * its write and its publish): cached clients are re-read after between half
   * of this and all of it, spread so that a full cache is not re-read at once.
   * The feeds drop the whole cache themselves whenever they may have missed
   * something (a reconnect), so this is rarely what corrects a client.
   */
  maxAgeMs: number;
  /** Unknown ids are remembered this long, so a flood of made-up ids does not reach the store. */
  negativeMaxAgeMs: number;
}

export const DEFAULT_REGISTRY_OPTIONS: RegistryOptions = Object.freeze({
  cacheSize: 100_000, // as TESSERA_CLIENT_CACHE_SIZE
  maxAgeMs: 600_000,
  negativeMaxAgeMs: 5_000,
});

/** Prefix of generated client secrets, so secret scanners can recognise leaked ones. */
export const CLIENT_SECRET_PREFIX = 'tessera_cs_';

export interface CreatedClient {
  client: ClientRecord;
  /** Shown once, never stored in plain text. */
  secret: string | undefined;
}

/**
 * The client registry: admin writes go through it, and the token endpoint
 * reads from its cache, so a token request in steady state touches no store.
 * Unknown ids are cached briefly too, so a flood of made-up client ids cannot
 * turn into a flood of database reads.
 */
export class ClientRegistry {
  /** null: no such client (remembered briefly). */
  readonly #cache: BoundedCache<string, StoredClient | null>;
  readonly #shared = new SharedValues();
  /** Bumped whenever anything is forgotten: a read that raced with a change is then not cached. */
  #generation = 0;
  #scopes: Promise<string[]> | undefined;
  /** Hear every client forgotten (one id, or undefined for all): indexes beside the cache follow it. */
  readonly #forgetListeners: ((clientId: string | undefined) => void)[] = [];

  constructor(
    private readonly store: ClientStore,
    private readonly hasher: SecretHasher,
    private readonly sealer: Sealer,
    private readonly now: () => number,
    private readonly feed: ChangeFeed = new LocalFeed(),
    private readonly options: RegistryOptions = DEFAULT_REGISTRY_OPTIONS,
  ) {
    this.#cache = new BoundedCache(options.cacheSize);
  }

  async get(clientId: string): Promise<StoredClient | undefined> {
    return isClientId(clientId) ? this.find(clientId) : undefined;
  }

  /**
   * The client, answered synchronously when the cache holds it: the token
   * endpoint's steady state then costs no promise and no microtask. Only a
   * cache miss returns a promise (the store read). `clientId` must have
   * passed isClientId already (client authentication checks it first).
   */
  find(clientId: string): StoredClient | undefined | Promise<StoredClient | undefined> {
    const cached = this.#cache.get(clientId, this.now());
    if (cached !== undefined) return cached ?? undefined;
    return this.#read(clientId);
  }

  async #read(clientId: string): Promise<StoredClient | undefined> {
    const generation = this.#generation;
    const stored = await this.store.getClient(clientId);
    if (generation !== this.#generation) return stored;
    if (!stored) {
      this.#cache.set(clientId, null, this.now() + this.options.negativeMaxAgeMs);
      return undefined;
    }
    return this.#keep(stored);
  }

  /**
   * Fills the cache from the store a page at a time, yielding between pages
   * so requests are served meanwhile: after a restart, a client's first token
   * request then reads no database either. Stops when the cache is full (it
   * never evicts), or when `stopped()` says so (shutdown). Returns how many
   * clients it read.
   */
  async warm(stopped: () => boolean = () => false, pageSize = 1000): Promise<number> {
    let after: string | undefined;
    let read = 0;
    for (;;) {
      const room = this.options.cacheSize - this.#cache.size;
      if (room <= 0 || stopped()) break;
      const generation = this.#generation;
      const page = await this.store.listStoredClients(after, Math.min(pageSize, room));
      if (page.length === 0) break;
      // A change heard during the read may be missing from this page: its clients are then read on first use.
      if (generation === this.#generation) {
        for (const stored of page) if (!this.#cache.has(stored.clientId)) this.#keep(stored);
      }
      read += page.length;
      after = page.at(-1)?.clientId;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return read;
  }

  async list(after: string | undefined, limit: number): Promise<ClientRecord[]> {
    return this.store.listClients(after, limit);
  }

  /** `by`: who asks, recorded in the audit log with the change (none: not recorded). */
  async create(body: unknown, by?: AuditOrigin): Promise<CreatedClient> {
    const { input, metadata } = parseCreate(body);
    const now = this.now();
    const clientId = input.client_id ?? randomUUID();
    const record: ClientRecord = { clientId, metadata, createdAt: now, updatedAt: now };
    const secret = usesSecret(metadata) ? (input.client_secret ?? newSecret()) : undefined;
    const secretRecord = secret ? this.#secretRecord(clientId, secret, metadata, now) : null;
    try {
      await this.store.insertClient(record, secretRecord, auditEntry(by, 'client.create', clientId, now));
    } catch (err) {
      if (err instanceof DuplicateClientError) throw new Conflict('this client_id is taken');
      throw err;
    }
    this.invalidate(clientId);
    // Cached as written (as the store would read it back), so its first token request reads no database.
    this.#keep({
      ...record,
      metadata: JSON.parse(JSON.stringify(metadata)) as ClientMetadata,
      secrets: secretRecord ? [secretRecord] : [],
    });
    return { client: record, secret };
  }

  async update(clientId: string, body: unknown, by?: AuditOrigin): Promise<CreatedClient> {
    const current = await this.#require(clientId);
    const metadata = applyPatch(current.metadata, body);
    // The HMAC key of client_secret_jwt must be recoverable, and a client
    // coming back from a method without secrets has none (they were deleted
    // when it left): either way it needs a new one, issued and shown once, as
    // at registration.
    const needsSecret =
      (keepsSealedSecret(metadata) && !current.secrets.some((s) => s.sealed)) ||
      (usesSecret(metadata) && current.secrets.length === 0);
    // A secret a client no longer uses is a credential nobody watches, and a
    // recoverable copy nobody needs is one more thing to steal: either goes
    // with the change, in the same transaction.
    const secretChange: SecretChange | undefined =
      !usesSecret(metadata) && current.secrets.length > 0
        ? 'delete'
        : !keepsSealedSecret(metadata) && current.secrets.some((s) => s.sealed)
          ? 'unseal'
          : undefined;
    const now = this.now();
    const audit = auditEntry(by, 'client.update', clientId, now);
    const updated = secretChange
      ? await this.store.updateClientSecrets(clientId, metadata, now, secretChange, audit)
      : await this.store.updateClient(clientId, metadata, now, audit);
    if (!updated) throw notFound();
    const secret = needsSecret ? newSecret() : undefined;
    if (secret) await this.store.addSecret(clientId, this.#secretRecord(clientId, secret, metadata, now), now, now);
    this.invalidate(clientId);
    return { client: { ...current, metadata, updatedAt: now }, secret };
  }

  /**
   * Runs before a client is deleted (status/status-lists.ts: its tokens'
   * status list entries become invalid). If it fails, the client stays.
   */
  beforeDelete: ((clientId: string) => Promise<void>) | undefined;

  async delete(clientId: string, by?: AuditOrigin): Promise<void> {
    if (!isClientId(clientId)) throw notFound();
    await this.beforeDelete?.(clientId);
    const deleted = await this.store.deleteClient(clientId, auditEntry(by, 'client.delete', clientId, this.now()));
    this.invalidate(clientId);
    if (!deleted) throw notFound();
  }

  /** A new secret; the previous ones stay valid `previousSecretTtl` more seconds. */
  async rotateSecret(clientId: string, previousSecretTtl: number, by?: AuditOrigin): Promise<CreatedClient> {
    const current = await this.#require(clientId);
    if (!usesSecret(current.metadata)) {
      throw new InvalidClientMetadata(
        `this client authenticates with ${current.metadata.token_endpoint_auth_method} and has no secret`,
      );
    }
    const now = this.now();
    const secret = newSecret();
    const ok = await this.store.addSecret(
      clientId,
      this.#secretRecord(clientId, secret, current.metadata, now),
      now + previousSecretTtl * 1000,
      now,
      auditEntry(by, 'client.secret.rotate', clientId, now),
    );
    this.invalidate(clientId);
    if (!ok) throw notFound();
    return { client: current, secret };
  }

  /** Every scope any client may ask for (discovery's scopes_supported). */
  scopesSupported(): Promise<string[]> {
    this.#scopes ??= this.store.listScopes().catch((err: unknown) => {
      this.#scopes = undefined;
      throw err;
    });
    return this.#scopes;
  }

  /** After a write here: forget it, and tell every other process to. */
  invalidate(clientId: string): void {
    this.forget(clientId);
    this.feed.publish({ kind: 'client', clientId });
  }

  /**
   * Caches a client read from (or just written to) the store, with its
   * repeated parts shared, until a spread expiry (see maxAgeMs). Filed under
   * the store's copy of the id, so the cache holds one id string per client.
   */
  #keep(stored: StoredClient): StoredClient {
    const client = this.#shared.compact(stored);
    const expiresAt = this.now() + this.options.maxAgeMs * (0.5 + Math.random() / 2);
    this.#cache.set(client.clientId, client, expiresAt);
    return client;
  }

  /** Drops one client from the cache (changed here, or on another node: follow-client-changes.ts). */
  forget(clientId: string): void {
    this.#generation++;
    this.#cache.delete(clientId);
    this.#scopes = undefined;
    for (const listener of this.#forgetListeners) listener(clientId);
  }

  /** Drops every client: a feed that reconnected may have missed changes. */
  forgetAll(): void {
    this.#generation++;
    this.#cache.clear();
    this.#scopes = undefined;
    for (const listener of this.#forgetListeners) listener(undefined);
  }

  /** Calls `listener` whenever a client changed (its id) or every client may have (undefined). */
  onForget(listener: (clientId: string | undefined) => void): void {
    this.#forgetListeners.push(listener);
  }

  async #require(clientId: string): Promise<StoredClient> {
    if (!isClientId(clientId)) throw notFound();
    const client = await this.store.getClient(clientId);
    if (!client) throw notFound();
    return client;
  }

  #secretRecord(clientId: string, secret: string, metadata: ClientMetadata, now: number): SecretRecord {
    const id = randomUUID();
    return {
      id,
      hash: this.hasher.hash(secret),
      sealed: keepsSealedSecret(metadata) ? this.sealer.seal(secret, secretContext(clientId, id)) : null,
      createdAt: now,
      expiresAt: null,
    };
  }
}

/** Methods that need the secret itself back (an HMAC key) keep it sealed beside its hash. */
function keepsSealedSecret(metadata: ClientMetadata): boolean {
  return authMethod(metadata.token_endpoint_auth_method)?.secret === 'sealed';
}

function newSecret(): string {
  return CLIENT_SECRET_PREFIX + randomToken(32);
}

// The id is not echoed: it may hold quotes or backslashes, which RFC 6749 §5.2 keeps out of error_description.
export function notFound(): NotFound {
  return new NotFound('no such client');
}

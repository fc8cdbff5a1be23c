import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { ClientMetadata, ClientRecord, SecretRecord, StoredClient } from '../../clients/client.js';
import type { TrustedIssuerRecord } from '../../federation/trusted-issuer.js';
import { BatchedInserts } from '../batched-inserts.js';
import {
  type ActivityRow,
  AUDIT_COLUMNS,
  type AuditRow,
  fromActivityRow,
  fromAuditRow,
  mergeActivity,
} from '../history-rows.js';
import { scopeUnion } from '../scope-union.js';
import {
  CLIENT_WITH_SECRETS_SQL,
  CLIENTS_WITH_SECRETS_PAGE_SQL,
  type ClientRow,
  type ClientSecretRow,
  fromClientRow,
  fromClientSecretPage,
  fromClientSecretRows,
  fromKeyRow,
  fromSealedRow,
  fromTokenRow,
  type KeyRow,
  type SealedRow,
  type TokenRow,
} from '../sql-rows.js';
import { fromTrustedIssuerRow, type TrustedIssuerRow, trustedIssuerParams } from '../trusted-issuer-rows.js';
import {
  type ActivityCount,
  type AuditEntry,
  type AuditPosition,
  type AuditRecord,
  DuplicateClientError,
  DuplicateIssuerError,
  type OpaqueTokenRecord,
  type SealedRef,
  type SealedValue,
  type SecretChange,
  type SigningKeyRecord,
  type StatusBlockRecord,
  type StatusEntry,
  type StatusLink,
  type StatusListContents,
  type Store,
} from '../types.js';
import { SqliteBatchWriter } from './batch-writer.js';
import { migrations } from './migrations.js';
import { statusStatements } from './status-statements.js';

/** How long a write waits for another process's write lock before it fails as unavailable (503). */
const BUSY_TIMEOUT_MS = 5000;

export interface SqliteStoreOptions {
  /** Default BUSY_TIMEOUT_MS; shorter in tests. */
  busyTimeoutMs?: number;
  /** For failures no request sees: the background WAL checkpoint thread's. */
  logger?: Logger;
}

/**
 * Creates the database file 0600 before SQLite opens it: SQLite would make it
 * with the umask's mode (often 0644), and makes -wal and -shm with the mode
 * of the database file. A folder made here is 0700, but one that already
 * exists (say /var/lib/tessera, 0755) protects nothing by itself.
 * An existing file keeps the mode its owner gave it.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is
 * synchronous, so each call finishes before it returns; the async signatures
 * are the Store interface's, shared with PostgreSQL.
 *
 * Durability: `synchronous=NORMAL` in WAL survives a process crash (kill -9)
 * for every commit; writes that must also survive power loss (admin changes,
 * revocations) commit with `synchronous=FULL`, which syncs the WAL up to them.
 * Opaque tokens and spent jtis are batched per event-loop turn with
 * `synchronous=NORMAL` (batch-writer.ts): a power loss may forget the last
 * ones, a process crash never.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly #db: Database.Database;
  readonly #stmts: ReturnType<typeof prepare>;
  readonly #status: ReturnType<typeof statusStatements>;
  /** Block owners of one event-loop turn (many clients' first tokens at once): one synced commit for them all. */
  readonly #blocks = new BatchedInserts<StatusBlockRecord>(
    (b) => this.#durable(() => this.#status.insertBlock(b)),
    (bs) =>
      this.#durable(() => {
        for (const b of bs) this.#status.insertBlock(b);
      }),
  );
  /** Opaque tokens and spent jtis, one transaction per event-loop turn. */
  readonly #writer: SqliteBatchWriter;
  #closed: Promise<void> | undefined;

  constructor(path: string, { busyTimeoutMs = BUSY_TIMEOUT_MS, logger }: SqliteStoreOptions = {}) {
    if (path !== ':memory:') createPrivately(path);
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
    // Several worker processes may share the file: wait for a writer instead of failing.
    this.#db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    this.#migrate();
    this.#stmts = prepare(this.#db);
    this.#status = statusStatements(this.#db);
    this.#writer = new SqliteBatchWriter(this.#db, path, busyTimeoutMs, logger);
  }

  #migrate(): void {
    const migrate = this.#db.transaction(() => {
      const current = this.#db.pragma('user_version', { simple: true }) as number;
      // A newer build's schema (after a rollback of the code) is left as it is:
      // lowering user_version would make that build re-run its migrations.
      if (current >= migrations.length) return;
      for (let v = current; v < migrations.length; v++) {
        this.#db.exec(migrations[v] as string);
      }
      this.#db.pragma(`user_version = ${migrations.length}`);
    });
    // IMMEDIATE: two processes starting together migrate one after the other.
    migrate.immediate();
  }

  /** Runs `fn` in a transaction whose commit is synced to disk before it returns. */
  #durable<T>(fn: () => T): T {
    this.#db.pragma('synchronous = FULL');
    try {
      return this.#db.transaction(fn).immediate();
    } finally {
      this.#db.pragma('synchronous = NORMAL');
    }
  }

  /** Writes an audit entry; called inside the change's own #durable transaction, so both commit or neither. */
  #audit(entry: AuditEntry | undefined): void {
    if (!entry) return;
    const { at, action, target, actor, address } = entry;
    this.#stmts.insertAudit.run({ at, action, target, actor, address });
  }

  async ping(): Promise<void> {
    this.#stmts.ping.get();
  }

  close(): Promise<void> {
    this.#flushLinks();
    this.#closed ??= this.#blocks
      .drain()
      .then(() => this.#writer.close())
      .then(() => {
        this.#db.close();
      });
    return this.#closed;
  }

  // --- clients -------------------------------------------------------------

  async insertClient(client: ClientRecord, secret: SecretRecord | null, audit?: AuditEntry): Promise<void> {
    this.#durable(() => {
      // Only this statement's key violation means the id is taken: the
      // secret's id is a primary key too, and its clash is another error.
      try {
        this.#stmts.insertClient.run({
          client_id: client.clientId,
          metadata: JSON.stringify(client.metadata),
          scope: client.metadata.scope,
          created_at: client.createdAt,
          updated_at: client.updatedAt,
        });
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new DuplicateClientError(client.clientId);
        }
        throw err;
      }
      this.#audit(audit);
      if (secret) this.#stmts.insertSecret.run(secretRow(client.clientId, secret));
    });
  }

  async getClient(clientId: string): Promise<StoredClient | undefined> {
    return fromClientSecretRows(this.#stmts.getClient.all(clientId) as ClientSecretRow[]);
  }

  async listClients(after: string | undefined, limit: number): Promise<ClientRecord[]> {
    const rows = this.#stmts.listClients.all(after ?? '', limit) as ClientRow[];
    return rows.map(fromClientRow);
  }

  async listStoredClients(after: string | undefined, limit: number): Promise<StoredClient[]> {
    return fromClientSecretPage(this.#stmts.listStoredClients.all(after ?? '', limit) as ClientSecretRow[]);
  }

  async updateClient(
    clientId: string,
    metadata: ClientMetadata,
    updatedAt: number,
    audit?: AuditEntry,
  ): Promise<boolean> {
    return this.#durable(() => {
      const updated =
        this.#stmts.updateClient.run({
          client_id: clientId,
          metadata: JSON.stringify(metadata),
          scope: metadata.scope,
          updated_at: updatedAt,
        }).changes === 1;
      if (updated) this.#audit(audit);
      return updated;
    });
  }

  async updateClientSecrets(
    clientId: string,
    metadata: ClientMetadata,
    updatedAt: number,
    change: SecretChange,
    audit?: AuditEntry,
  ): Promise<boolean> {
    return this.#durable(() => {
      const updated =
        this.#stmts.updateClient.run({
          client_id: clientId,
          metadata: JSON.stringify(metadata),
          scope: metadata.scope,
          updated_at: updatedAt,
        }).changes === 1;
      if (!updated) return false;
      this.#audit(audit);
      (change === 'delete' ? this.#stmts.deleteSecrets : this.#stmts.unsealSecrets).run(clientId);
      return true;
    });
  }

  async deleteClient(clientId: string, audit?: AuditEntry): Promise<boolean> {
    return this.#durable(() => {
      const deleted = this.#stmts.deleteClient.run(clientId).changes === 1;
      if (deleted) this.#audit(audit);
      return deleted;
    });
  }

  async addSecret(
    clientId: string,
    secret: SecretRecord,
    previousExpiresAt: number,
    now: number,
    audit?: AuditEntry,
  ): Promise<boolean> {
    return this.#durable(() => {
      if (!this.#stmts.clientExists.get(clientId)) return false;
      this.#audit(audit);
      this.#stmts.expireSecrets.run({ client_id: clientId, expires_at: previousExpiresAt });
      this.#stmts.deleteExpiredSecrets.run({ client_id: clientId, now });
      this.#stmts.insertSecret.run(secretRow(clientId, secret));
      return true;
    });
  }

  async listScopes(): Promise<string[]> {
    return scopeUnion((this.#stmts.listScopes.all() as { scope: string }[]).map((r) => r.scope));
  }

  async maxAccessTokenTtl(): Promise<number> {
    const row = this.#stmts.maxTtl.get() as { ttl: number | null };
    return row.ttl ?? 0;
  }

  // --- trusted issuers -----------------------------------------------------

  async insertTrustedIssuer(record: TrustedIssuerRecord, audit?: AuditEntry): Promise<void> {
    this.#durable(() => {
      try {
        this.#stmts.insertIssuer.run(trustedIssuerParams(record));
        this.#audit(audit);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
          throw new DuplicateIssuerError(record.config.issuer);
        throw err;
      }
    });
  }

  async getTrustedIssuer(id: string): Promise<TrustedIssuerRecord | undefined> {
    const row = this.#stmts.getIssuer.get(id) as TrustedIssuerRow | undefined;
    return row && fromTrustedIssuerRow(row);
  }

  async listTrustedIssuers(after: string | undefined, limit: number): Promise<TrustedIssuerRecord[]> {
    return (this.#stmts.listIssuers.all(after ?? '', limit) as TrustedIssuerRow[]).map(fromTrustedIssuerRow);
  }

  async updateTrustedIssuer(record: TrustedIssuerRecord, audit?: AuditEntry): Promise<boolean> {
    return this.#durable(() => {
      try {
        const updated = this.#stmts.updateIssuer.run(trustedIssuerParams(record)).changes === 1;
        if (updated) this.#audit(audit);
        return updated;
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
          throw new DuplicateIssuerError(record.config.issuer);
        throw err;
      }
    });
  }

  async deleteTrustedIssuer(id: string, audit?: AuditEntry): Promise<boolean> {
    return this.#durable(() => {
      const deleted = this.#stmts.deleteIssuer.run(id).changes === 1;
      if (deleted) this.#audit(audit);
      return deleted;
    });
  }

  // --- signing keys --------------------------------------------------------

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return (this.#stmts.listKeys.all() as KeyRow[]).map(fromKeyRow);
  }

  async rotateSigningKey(
    key: SigningKeyRecord,
    retireOthersAt: number,
    purgeBefore: number,
    audit?: AuditEntry,
  ): Promise<void> {
    this.#durable(() => {
      this.#audit(audit);
      this.#stmts.purgeKeys.run(purgeBefore);
      this.#stmts.retireKeys.run(retireOthersAt);
      this.#stmts.insertKey.run({
        kid: key.kid,
        alg: key.alg,
        public_jwk: key.publicJwk,
        private_key: key.sealedPrivateKey,
        created_at: key.createdAt,
        activates_at: key.activatesAt,
        retires_at: key.retiresAt,
      });
    });
  }

  // --- encryption key rotation ---------------------------------------------

  async listSealedValues(exceptPrefix: string): Promise<SealedValue[]> {
    const rows = this.#stmts.listSealed.all({ prefix: exceptPrefix }) as SealedRow[];
    return rows.map(fromSealedRow);
  }

  async replaceSealedValue(ref: SealedRef, old: string, sealed: string): Promise<boolean> {
    const result =
      ref.kind === 'signing-key'
        ? this.#durable(() => this.#stmts.replaceSealedKey.run({ kid: ref.kid, old, sealed }))
        : this.#durable(() =>
            this.#stmts.replaceSealedSecret.run({ id: ref.secretId, client_id: ref.clientId, old, sealed }),
          );
    return result.changes === 1;
  }

  async countSecretHashes(prefix: string, now: number): Promise<number> {
    return (this.#stmts.countSecretHashes.get({ prefix, now }) as { n: number }).n;
  }

  async replaceSecretHash(secretId: string, old: string, hash: string): Promise<boolean> {
    // Not #durable: a re-hash lost to a power cut is simply done again on the next use.
    return this.#stmts.replaceSecretHash.run({ id: secretId, old, hash }).changes === 1;
  }

  // --- settings ------------------------------------------------------------

  async getSetting(name: string): Promise<string | undefined> {
    return (this.#stmts.getSetting.get(name) as { value: string } | undefined)?.value;
  }

  async setSettingIfAbsent(name: string, value: string): Promise<string> {
    return this.#durable(() => {
      this.#stmts.insertSettingIfAbsent.run(name, value);
      return (this.#stmts.getSetting.get(name) as { value: string }).value;
    });
  }

  async setSetting(name: string, value: string): Promise<void> {
    this.#durable(() => this.#stmts.upsertSetting.run(name, value));
  }

  // --- opaque tokens, revocation, replay --------------------------------------

  /** Batched with the other tokens of this event-loop turn (batched-inserts.ts); settles once committed. */
  insertOpaqueToken(t: OpaqueTokenRecord): Promise<void> {
    return this.#writer.add(t);
  }

  async getOpaqueToken(id: string): Promise<OpaqueTokenRecord | undefined> {
    const r = this.#stmts.getToken.get(id) as TokenRow<string> | undefined;
    if (!r) return undefined;
    return fromTokenRow(r, JSON.parse(r.audience) as string[]);
  }

  async deleteOpaqueToken(id: string): Promise<boolean> {
    return this.#durable(() => this.#stmts.deleteToken.run(id).changes === 1);
  }

  async revokeJti(jti: string, expiresAt: number): Promise<void> {
    this.#durable(() => this.#stmts.revokeJti.run(jti, expiresAt));
  }

  async isJtiRevoked(jti: string, now: number): Promise<boolean> {
    return this.#stmts.isRevoked.get(jti, now) !== undefined;
  }

  async listRevokedJtis(now: number): Promise<{ jti: string; expiresAt: number }[]> {
    return (this.#stmts.listRevoked.all(now) as { jti: string; expires_at: number }[]).map((r) => ({
      jti: r.jti,
      expiresAt: r.expires_at,
    }));
  }

  /** Batched with the other writes of this event-loop turn (batch-writer.ts); settles once committed. */
  useOnce(key: string, expiresAt: number, now: number): Promise<boolean> {
    return this.#writer.useOnce(key, expiresAt, now);
  }

  // --- audit log and activity -------------------------------------------------

  async listAudit(before: AuditPosition | undefined, limit: number): Promise<AuditRecord[]> {
    const rows = (
      before
        ? this.#stmts.listAuditBefore.all({ at: before.at, id: before.id, limit })
        : this.#stmts.listAudit.all(limit)
    ) as AuditRow[];
    return rows.map(fromAuditRow);
  }

  async purgeAudit(before: number): Promise<number> {
    return this.#stmts.purgeAudit.run(before).changes;
  }

  async addActivity(counts: readonly ActivityCount[]): Promise<void> {
    // NORMAL, not #durable: a minute of counts lost to a power cut is not worth a sync.
    this.#db
      .transaction(() => {
        for (const c of mergeActivity(counts)) this.#stmts.addActivity.run(c);
      })
      .immediate();
  }

  async listActivity(since: number, bucketMs: number): Promise<ActivityCount[]> {
    return (this.#stmts.listActivity.all({ since, bucket: bucketMs }) as ActivityRow[]).map(fromActivityRow);
  }

  async purgeActivity(before: number): Promise<number> {
    return this.#stmts.purgeActivity.run(before).changes;
  }

  async purgeExpired(now: number): Promise<number> {
    const nowSeconds = Math.floor(now / 1000);
    return this.#db.transaction(
      () =>
        this.#stmts.purgeTokens.run(nowSeconds).changes +
        this.#stmts.purgeRevoked.run(now).changes +
        this.#stmts.purgeUsed.run(now).changes +
        this.#status.purge(now),
    )();
  }

  // --- status lists (status-statements.ts) -------------------------------------

  insertStatusBlock(block: StatusBlockRecord): Promise<void> {
    return this.#blocks.add(block);
  }

  /**
   * Every exchange links its token's entry before it answers: the links
   * asked for in one event-loop turn share one synced commit (as opaque
   * tokens and spent jtis do), instead of an fsync per exchange.
   */
  linkStatusEntries(links: readonly StatusLink[]): Promise<string[]> {
    return new Promise((resolve, reject) => {
      if (this.#pendingLinks.push({ links, resolve, reject }) === 1) setImmediate(() => this.#flushLinks());
    });
  }

  #pendingLinks: {
    links: readonly StatusLink[];
    resolve: (changed: string[]) => void;
    reject: (e: unknown) => void;
  }[] = [];

  #flushLinks(): void {
    const batch = this.#pendingLinks;
    if (batch.length === 0) return;
    this.#pendingLinks = [];
    let changed: string[][];
    try {
      changed = this.#durable(() => batch.map((p) => this.#status.link(p.links)));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    for (const [i, p] of batch.entries()) p.resolve(changed[i] as string[]);
  }

  async revokeStatus(jti: string, entries: readonly StatusEntry[], expiresAt: number): Promise<string[]> {
    return this.#durable(() => this.#status.revoke(jti, entries, expiresAt));
  }

  async revokeClientStatus(clientId: string, expiresAt: number): Promise<string[]> {
    return this.#durable(() => this.#status.revokeClient(clientId, expiresAt));
  }

  async getStatusList(listId: string, now: number): Promise<StatusListContents | undefined> {
    return this.#status.get(listId, now);
  }
}

function prepare(db: Database.Database) {
  return {
    ping: db.prepare('SELECT 1'),
    insertClient: db.prepare(
      'INSERT INTO clients (client_id, metadata, scope, created_at, updated_at) VALUES (@client_id, @metadata, @scope, @created_at, @updated_at)',
    ),
    getClient: db.prepare(CLIENT_WITH_SECRETS_SQL('?')),
    listStoredClients: db.prepare(CLIENTS_WITH_SECRETS_PAGE_SQL('?', '?')),
    clientExists: db.prepare('SELECT 1 FROM clients WHERE client_id = ?'),
    listClients: db.prepare(
      'SELECT client_id, metadata, created_at, updated_at FROM clients WHERE client_id > ? ORDER BY client_id LIMIT ?',
    ),
    updateClient: db.prepare(
      'UPDATE clients SET metadata = @metadata, scope = @scope, updated_at = @updated_at WHERE client_id = @client_id',
    ),
    deleteClient: db.prepare('DELETE FROM clients WHERE client_id = ?'),
    deleteSecrets: db.prepare('DELETE FROM client_secrets WHERE client_id = ?'),
    unsealSecrets: db.prepare('UPDATE client_secrets SET sealed = NULL WHERE client_id = ?'),
    maxTtl: db.prepare("SELECT max(json_extract(metadata, '$.access_token_ttl')) AS ttl FROM clients"),
    listScopes: db.prepare("SELECT DISTINCT scope FROM clients WHERE scope <> ''"),
    insertSecret: db.prepare(
      'INSERT INTO client_secrets (id, client_id, hash, sealed, created_at, expires_at) VALUES (@id, @client_id, @hash, @sealed, @created_at, @expires_at)',
    ),
    expireSecrets: db.prepare(
      'UPDATE client_secrets SET expires_at = @expires_at WHERE client_id = @client_id AND (expires_at IS NULL OR expires_at > @expires_at)',
    ),
    deleteExpiredSecrets: db.prepare(
      'DELETE FROM client_secrets WHERE client_id = @client_id AND expires_at IS NOT NULL AND expires_at <= @now',
    ),
    insertIssuer: db.prepare(
      'INSERT INTO trusted_issuers (id, issuer, config, created_at, updated_at) VALUES (@id, @issuer, @config, @created_at, @updated_at)',
    ),
    getIssuer: db.prepare('SELECT * FROM trusted_issuers WHERE id = ?'),
    listIssuers: db.prepare('SELECT * FROM trusted_issuers WHERE id > ? ORDER BY id LIMIT ?'),
    updateIssuer: db.prepare(
      'UPDATE trusted_issuers SET issuer = @issuer, config = @config, updated_at = @updated_at WHERE id = @id',
    ),
    deleteIssuer: db.prepare('DELETE FROM trusted_issuers WHERE id = ?'),
    listKeys: db.prepare('SELECT * FROM signing_keys ORDER BY activates_at DESC, created_at DESC'),
    insertKey: db.prepare(
      'INSERT INTO signing_keys (kid, alg, public_jwk, private_key, created_at, activates_at, retires_at) VALUES (@kid, @alg, @public_jwk, @private_key, @created_at, @activates_at, @retires_at)',
    ),
    retireKeys: db.prepare('UPDATE signing_keys SET retires_at = ? WHERE retires_at IS NULL'),
    purgeKeys: db.prepare('DELETE FROM signing_keys WHERE retires_at IS NOT NULL AND retires_at < ?'),
    // substr, not LIKE: key ids are base64url, and '_' is a LIKE wildcard.
    listSealed: db.prepare(
      `SELECT 'signing-key' AS kind, kid AS id, NULL AS client_id, private_key AS sealed FROM signing_keys
        WHERE substr(private_key, 1, length(@prefix)) <> @prefix
       UNION ALL
       SELECT 'client-secret', id, client_id, sealed FROM client_secrets
        WHERE sealed IS NOT NULL AND substr(sealed, 1, length(@prefix)) <> @prefix`,
    ),
    replaceSealedKey: db.prepare(
      'UPDATE signing_keys SET private_key = @sealed WHERE kid = @kid AND private_key = @old',
    ),
    replaceSealedSecret: db.prepare(
      'UPDATE client_secrets SET sealed = @sealed WHERE id = @id AND client_id = @client_id AND sealed = @old',
    ),
    countSecretHashes: db.prepare(
      'SELECT count(*) AS n FROM client_secrets WHERE substr(hash, 1, length(@prefix)) = @prefix AND (expires_at IS NULL OR expires_at > @now)',
    ),
    replaceSecretHash: db.prepare('UPDATE client_secrets SET hash = @hash WHERE id = @id AND hash = @old'),
    getSetting: db.prepare('SELECT value FROM settings WHERE name = ?'),
    insertSettingIfAbsent: db.prepare('INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)'),
    upsertSetting: db.prepare(
      'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value',
    ),
    getToken: db.prepare('SELECT * FROM opaque_tokens WHERE id = ?'),
    deleteToken: db.prepare('DELETE FROM opaque_tokens WHERE id = ?'),
    revokeJti: db.prepare(
      'INSERT INTO revoked_jtis (jti, expires_at) VALUES (?, ?) ON CONFLICT(jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)',
    ),
    isRevoked: db.prepare('SELECT 1 FROM revoked_jtis WHERE jti = ? AND expires_at > ?'),
    listRevoked: db.prepare('SELECT jti, expires_at FROM revoked_jtis WHERE expires_at > ?'),
    purgeTokens: db.prepare('DELETE FROM opaque_tokens WHERE exp <= ?'),
    purgeRevoked: db.prepare('DELETE FROM revoked_jtis WHERE expires_at <= ?'),
    purgeUsed: db.prepare('DELETE FROM used_jtis WHERE expires_at <= ?'),
    insertAudit: db.prepare(
      'INSERT INTO audit_log (at, action, target, actor, address) VALUES (@at, @action, @target, @actor, @address)',
    ),
    listAudit: db.prepare(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY at DESC, id DESC LIMIT ?`),
    listAuditBefore: db.prepare(
      `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE (at, id) < (@at, @id) ORDER BY at DESC, id DESC LIMIT @limit`,
    ),
    purgeAudit: db.prepare('DELETE FROM audit_log WHERE at < ?'),
    addActivity: db.prepare(
      'INSERT INTO activity (start, kind, key, n) VALUES (@start, @kind, @key, @n) ON CONFLICT (start, kind, key) DO UPDATE SET n = n + excluded.n',
    ),
    listActivity: db.prepare(
      // better-sqlite3 binds a JS number as REAL: cast, or the division is not an integer one.
      `SELECT (start / CAST(@bucket AS INTEGER)) * CAST(@bucket AS INTEGER) AS start, kind, key, sum(n) AS n
         FROM activity WHERE start >= @since GROUP BY 1, kind, key`,
    ),
    purgeActivity: db.prepare('DELETE FROM activity WHERE start < ?'),
  };
}

function secretRow(clientId: string, s: SecretRecord) {
  return {
    id: s.id,
    client_id: clientId,
    hash: s.hash,
    sealed: s.sealed,
    created_at: s.createdAt,
    expires_at: s.expiresAt,
  };
}

import { DatabaseError, type Pool, type PoolClient } from 'pg';
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
import { JtiUse } from '../jti-use.js';
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
  toExtColumn,
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
import { migrate } from './migrations.js';
import { createPool, type PostgresStoreOptions, transaction } from './pool.js';
import { PostgresStatusLists } from './status-queries.js';

export type { PostgresStoreOptions } from './pool.js';

const UNIQUE_VIOLATION = '23505';

/** 9 parameters a row: PostgreSQL takes at most 65,535 in one statement. */
const MAX_TOKENS_PER_INSERT = 7000;
/** `INSERT INTO opaque_tokens … VALUES ($1, …, $9), ($10, …), …` for `n` rows. */
function insertTokensSql(n: number): string {
  const rows = Array.from({ length: n }, (_, i) => {
    const p = i * 9;
    return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7}, $${p + 8}, $${p + 9})`;
  });
  return `INSERT INTO opaque_tokens (id, hash, client_id, jti, scope, audience, iat, exp, ext) VALUES ${rows.join(', ')}`;
}

/** Three array parameters, whatever the count: a bound only on one statement's size. */
const MAX_JTIS_PER_INSERT = 10_000;
/**
 * Spends a batch of distinct keys in one statement: each row as useOnce
 * alone would (an expired row is replaced, a live one wins and keeps its
 * expiry; `now` is each caller's own), RETURNING the keys that were spent
 * now. Keys go in sorted: two nodes' batches sharing keys then take their
 * row locks in one order and never deadlock; the second waits for the
 * first's commit and finds the key live.
 */
const USE_ONCE_ALL = `WITH input AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(key, expires_at, now))
INSERT INTO used_jtis (key, expires_at) SELECT key, expires_at FROM input ORDER BY key
ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
WHERE used_jtis.expires_at <= (SELECT now FROM input WHERE input.key = excluded.key)
RETURNING key`;

/**
 * The production store: PostgreSQL through a pool, shared by every node.
 * Where SQLite serialises writers with one lock, each multi-row write here
 * locks what it reads first, so concurrent nodes get the same results.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly #pool: Pool;
  #closed: Promise<void> | undefined;
  readonly #tokenInserts: BatchedInserts<OpaqueTokenRecord>;
  readonly #jtiUses: BatchedInserts<JtiUse>;

  private constructor(pool: Pool) {
    this.#pool = pool;
    this.#jtiUses = new BatchedInserts(
      (u) => this.#useOnceAll([u]),
      (uses) => this.#useOnceAll(uses),
      MAX_JTIS_PER_INSERT,
    );
    this.#tokenInserts = new BatchedInserts(
      (t) => this.#insertTokens([t]),
      (rows) => this.#insertTokens(rows),
      MAX_TOKENS_PER_INSERT,
    );
  }

  /** Connects and applies pending migrations; rejects (with the pool closed) if either fails. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const pool = createPool(url, options);
    try {
      await migrate(pool, Date.now());
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    return new PostgresStore(pool);
  }

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  close(): Promise<void> {
    // pg rejects a second end(): closing twice must be harmless. Tokens and
    // jtis already handed to a batch are written first.
    this.#closed ??= Promise.all([this.#tokenInserts.drain(), this.#jtiUses.drain()]).then(() => this.#pool.end());
    return this.#closed;
  }

  // --- clients -------------------------------------------------------------

  async insertClient(client: ClientRecord, secret: SecretRecord | null, audit?: AuditEntry): Promise<void> {
    await transaction(this.#pool, async (db) => {
      try {
        await db.query(
          'INSERT INTO clients (client_id, metadata, scope, access_token_ttl, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)',
          [
            client.clientId,
            JSON.stringify(client.metadata),
            client.metadata.scope,
            client.metadata.access_token_ttl,
            client.createdAt,
            client.updatedAt,
          ],
        );
      } catch (err) {
        if (err instanceof DatabaseError && err.code === UNIQUE_VIOLATION) {
          throw new DuplicateClientError(client.clientId);
        }
        throw err;
      }
      await insertAudit(db, audit);
      if (secret) await db.query(INSERT_SECRET, secretParams(client.clientId, secret));
    });
  }

  async getClient(clientId: string): Promise<StoredClient | undefined> {
    const { rows } = await this.#pool.query<ClientSecretRow>(CLIENT_WITH_SECRETS_SQL('$1'), [clientId]);
    return fromClientSecretRows(rows);
  }

  async listClients(after: string | undefined, limit: number): Promise<ClientRecord[]> {
    const { rows } = await this.#pool.query<ClientRow>(
      'SELECT client_id, metadata, created_at, updated_at FROM clients WHERE client_id > $1 ORDER BY client_id LIMIT $2',
      [after ?? '', limit],
    );
    return rows.map(fromClientRow);
  }

  async listStoredClients(after: string | undefined, limit: number): Promise<StoredClient[]> {
    const { rows } = await this.#pool.query<ClientSecretRow>(CLIENTS_WITH_SECRETS_PAGE_SQL('$1', '$2'), [
      after ?? '',
      limit,
    ]);
    return fromClientSecretPage(rows);
  }

  async updateClient(
    clientId: string,
    metadata: ClientMetadata,
    updatedAt: number,
    audit?: AuditEntry,
  ): Promise<boolean> {
    const update = async (db: Pool | PoolClient) => {
      const { rowCount } = await db.query(
        'UPDATE clients SET metadata = $2, scope = $3, access_token_ttl = $4, updated_at = $5 WHERE client_id = $1',
        [clientId, JSON.stringify(metadata), metadata.scope, metadata.access_token_ttl, updatedAt],
      );
      return rowCount === 1;
    };
    // Without an entry to write, one statement needs no transaction.
    if (!audit) return update(this.#pool);
    return transaction(this.#pool, async (db) => {
      const updated = await update(db);
      if (updated) await insertAudit(db, audit);
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
    return transaction(this.#pool, async (db) => {
      const { rowCount } = await db.query(
        'UPDATE clients SET metadata = $2, scope = $3, access_token_ttl = $4, updated_at = $5 WHERE client_id = $1',
        [clientId, JSON.stringify(metadata), metadata.scope, metadata.access_token_ttl, updatedAt],
      );
      if (rowCount !== 1) return false;
      await insertAudit(db, audit);
      await db.query(
        change === 'delete'
          ? 'DELETE FROM client_secrets WHERE client_id = $1'
          : 'UPDATE client_secrets SET sealed = NULL WHERE client_id = $1',
        [clientId],
      );
      return true;
    });
  }

  async deleteClient(clientId: string, audit?: AuditEntry): Promise<boolean> {
    const remove = async (db: Pool | PoolClient) =>
      (await db.query('DELETE FROM clients WHERE client_id = $1', [clientId])).rowCount === 1;
    if (!audit) return remove(this.#pool);
    return transaction(this.#pool, async (db) => {
      const deleted = await remove(db);
      if (deleted) await insertAudit(db, audit);
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
    return transaction(this.#pool, async (db) => {
      // Locking the client serialises rotations: without it two at once would
      // each miss the other's new secret and leave both valid forever.
      const exists = await db.query('SELECT 1 FROM clients WHERE client_id = $1 FOR UPDATE', [clientId]);
      if (exists.rowCount !== 1) return false;
      await insertAudit(db, audit);
      await db.query(
        'UPDATE client_secrets SET expires_at = $2 WHERE client_id = $1 AND (expires_at IS NULL OR expires_at > $2)',
        [clientId, previousExpiresAt],
      );
      await db.query(
        'DELETE FROM client_secrets WHERE client_id = $1 AND expires_at IS NOT NULL AND expires_at <= $2',
        [clientId, now],
      );
      await db.query(INSERT_SECRET, secretParams(clientId, secret));
      return true;
    });
  }

  async listScopes(): Promise<string[]> {
    const { rows } = await this.#pool.query<{ scope: string }>("SELECT DISTINCT scope FROM clients WHERE scope <> ''");
    return scopeUnion(rows.map((r) => r.scope));
  }

  async maxAccessTokenTtl(): Promise<number> {
    const { rows } = await this.#pool.query<{ ttl: number }>(
      'SELECT coalesce(max(access_token_ttl), 0) AS ttl FROM clients',
    );
    return rows[0]?.ttl ?? 0;
  }

  // --- trusted issuers -----------------------------------------------------

  async insertTrustedIssuer(record: TrustedIssuerRecord, audit?: AuditEntry): Promise<void> {
    const p = trustedIssuerParams(record);
    await transaction(this.#pool, async (db) => {
      try {
        await db.query(
          'INSERT INTO trusted_issuers (id, issuer, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)',
          [p.id, p.issuer, p.config, p.created_at, p.updated_at],
        );
      } catch (err) {
        throw duplicateIssuer(err, record);
      }
      await insertAudit(db, audit);
    });
  }

  async getTrustedIssuer(id: string): Promise<TrustedIssuerRecord | undefined> {
    const { rows } = await this.#pool.query<TrustedIssuerRow>('SELECT * FROM trusted_issuers WHERE id = $1', [id]);
    return rows[0] && fromTrustedIssuerRow(rows[0]);
  }

  async listTrustedIssuers(after: string | undefined, limit: number): Promise<TrustedIssuerRecord[]> {
    const { rows } = await this.#pool.query<TrustedIssuerRow>(
      'SELECT * FROM trusted_issuers WHERE id > $1 ORDER BY id LIMIT $2',
      [after ?? '', limit],
    );
    return rows.map(fromTrustedIssuerRow);
  }

  async updateTrustedIssuer(record: TrustedIssuerRecord, audit?: AuditEntry): Promise<boolean> {
    const p = trustedIssuerParams(record);
    return transaction(this.#pool, async (db) => {
      let updated: boolean;
      try {
        const { rowCount } = await db.query(
          'UPDATE trusted_issuers SET issuer = $2, config = $3, updated_at = $4 WHERE id = $1',
          [p.id, p.issuer, p.config, p.updated_at],
        );
        updated = rowCount === 1;
      } catch (err) {
        throw duplicateIssuer(err, record);
      }
      if (updated) await insertAudit(db, audit);
      return updated;
    });
  }

  async deleteTrustedIssuer(id: string, audit?: AuditEntry): Promise<boolean> {
    return transaction(this.#pool, async (db) => {
      const { rowCount } = await db.query('DELETE FROM trusted_issuers WHERE id = $1', [id]);
      if (rowCount === 1) await insertAudit(db, audit);
      return rowCount === 1;
    });
  }

  // --- signing keys --------------------------------------------------------

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const { rows } = await this.#pool.query<KeyRow>(
      'SELECT * FROM signing_keys ORDER BY activates_at DESC, created_at DESC',
    );
    return rows.map(fromKeyRow);
  }

  async rotateSigningKey(
    key: SigningKeyRecord,
    retireOthersAt: number,
    purgeBefore: number,
    audit?: AuditEntry,
  ): Promise<void> {
    await transaction(this.#pool, async (db) => {
      // Two nodes rotating at once would each miss the other's new key and
      // leave two current; this lock queues them and still lets readers in.
      await db.query('LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE');
      await insertAudit(db, audit);
      await db.query('DELETE FROM signing_keys WHERE retires_at IS NOT NULL AND retires_at < $1', [purgeBefore]);
      await db.query('UPDATE signing_keys SET retires_at = $1 WHERE retires_at IS NULL', [retireOthersAt]);
      await db.query(
        'INSERT INTO signing_keys (kid, alg, public_jwk, private_key, created_at, activates_at, retires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [key.kid, key.alg, key.publicJwk, key.sealedPrivateKey, key.createdAt, key.activatesAt, key.retiresAt],
      );
    });
  }

  // --- encryption key rotation ---------------------------------------------

  async listSealedValues(exceptPrefix: string): Promise<SealedValue[]> {
    // left(), not LIKE: key ids are base64url, and '_' is a LIKE wildcard.
    const { rows } = await this.#pool.query<SealedRow>(
      `SELECT 'signing-key' AS kind, kid AS id, NULL AS client_id, private_key AS sealed FROM signing_keys
        WHERE left(private_key, length($1)) <> $1
       UNION ALL
       SELECT 'client-secret', id, client_id, sealed FROM client_secrets
        WHERE sealed IS NOT NULL AND left(sealed, length($1)) <> $1`,
      [exceptPrefix],
    );
    return rows.map(fromSealedRow);
  }

  async replaceSealedValue(ref: SealedRef, old: string, sealed: string): Promise<boolean> {
    const { rowCount } =
      ref.kind === 'signing-key'
        ? await this.#pool.query('UPDATE signing_keys SET private_key = $3 WHERE kid = $1 AND private_key = $2', [
            ref.kid,
            old,
            sealed,
          ])
        : await this.#pool.query(
            'UPDATE client_secrets SET sealed = $4 WHERE id = $1 AND client_id = $2 AND sealed = $3',
            [ref.secretId, ref.clientId, old, sealed],
          );
    return rowCount === 1;
  }

  async countSecretHashes(prefix: string, now: number): Promise<number> {
    const { rows } = await this.#pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM client_secrets WHERE left(hash, length($1)) = $1 AND (expires_at IS NULL OR expires_at > $2)',
      [prefix, now],
    );
    return rows[0]?.n ?? 0;
  }

  async replaceSecretHash(secretId: string, old: string, hash: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('UPDATE client_secrets SET hash = $3 WHERE id = $1 AND hash = $2', [
      secretId,
      old,
      hash,
    ]);
    return rowCount === 1;
  }

  // --- settings ------------------------------------------------------------

  async getSetting(name: string): Promise<string | undefined> {
    const { rows } = await this.#pool.query<{ value: string }>('SELECT value FROM settings WHERE name = $1', [name]);
    return rows[0]?.value;
  }

  async setSettingIfAbsent(name: string, value: string): Promise<string> {
    // The no-op update makes a conflicting insert return the row already
    // stored, so one statement answers even when another node just won.
    const { rows } = await this.#pool.query<{ value: string }>(
      'INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = settings.value RETURNING value',
      [name, value],
    );
    const stored = rows[0];
    if (!stored) throw new Error(`setting ${name} was neither inserted nor found`);
    return stored.value;
  }

  async setSetting(name: string, value: string): Promise<void> {
    await this.#pool.query(
      'INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      [name, value],
    );
  }

  // --- opaque tokens, revocation, replay --------------------------------------

  /** Batched with the other tokens of this event-loop turn (batched-inserts.ts): one INSERT, one round trip. */
  insertOpaqueToken(t: OpaqueTokenRecord): Promise<void> {
    return this.#tokenInserts.add(t);
  }

  async #insertTokens(rows: readonly OpaqueTokenRecord[]): Promise<void> {
    const values: unknown[] = [];
    for (const t of rows) {
      values.push(t.id, t.hash, t.clientId, t.jti, t.scope, t.audience, t.iat, t.exp, toExtColumn(t.extension));
    }
    await this.#pool.query(insertTokensSql(rows.length), values);
  }

  async getOpaqueToken(id: string): Promise<OpaqueTokenRecord | undefined> {
    const { rows } = await this.#pool.query<TokenRow<string[]>>('SELECT * FROM opaque_tokens WHERE id = $1', [id]);
    const r = rows[0];
    if (!r) return undefined;
    return fromTokenRow(r, r.audience);
  }

  async deleteOpaqueToken(id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('DELETE FROM opaque_tokens WHERE id = $1', [id]);
    return rowCount === 1;
  }

  async revokeJti(jti: string, expiresAt: number): Promise<void> {
    await this.#pool.query(
      'INSERT INTO revoked_jtis (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO UPDATE SET expires_at = greatest(revoked_jtis.expires_at, excluded.expires_at)',
      [jti, expiresAt],
    );
  }

  async isJtiRevoked(jti: string, now: number): Promise<boolean> {
    const { rowCount } = await this.#pool.query('SELECT 1 FROM revoked_jtis WHERE jti = $1 AND expires_at > $2', [
      jti,
      now,
    ]);
    return rowCount === 1;
  }
  async listRevokedJtis(now: number): Promise<{ jti: string; expiresAt: number }[]> {
    const { rows } = await this.#pool.query<{ jti: string; expires_at: number }>(
      'SELECT jti, expires_at FROM revoked_jtis WHERE expires_at > $1',
      [now],
    );
    return rows.map((r) => ({ jti: r.jti, expiresAt: r.expires_at }));
  }

  /**
   * Batched with the other uses of this event-loop turn: one statement, one
   * round trip for them all. A concurrent caller on another node waits on
   * the row lock, then sees the winner's fresh expiry and updates nothing.
   */
  async useOnce(key: string, expiresAt: number, now: number): Promise<boolean> {
    const use = new JtiUse(key, expiresAt, now);
    await this.#jtiUses.add(use);
    return use.firstUse;
  }

  async #useOnceAll(uses: readonly JtiUse[]): Promise<void> {
    // ON CONFLICT DO UPDATE cannot touch one row twice in a statement: a key
    // used again in the same batch goes in once, its first use may win, and
    // the repeats answer false, as they would one after the other. (Only if
    // the first use's expiry fell before a repeat's `now`, within one turn,
    // would that repeat have won alone: refusing it is the safe side.)
    const first = new Map<string, JtiUse>();
    const keys: string[] = [];
    const expiries: number[] = [];
    const nows: number[] = [];
    for (const u of uses) {
      u.firstUse = false;
      if (first.has(u.key)) continue;
      first.set(u.key, u);
      keys.push(u.key);
      expiries.push(u.expiresAt);
      nows.push(u.now);
    }
    const { rows } = await this.#pool.query<{ key: string }>(USE_ONCE_ALL, [keys, expiries, nows]);
    for (const r of rows) (first.get(r.key) as JtiUse).firstUse = true;
  }

  // --- audit log and activity -------------------------------------------------

  async listAudit(before: AuditPosition | undefined, limit: number): Promise<AuditRecord[]> {
    const { rows } = before
      ? await this.#pool.query<AuditRow>(
          `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE (at, id) < ($1, $2) ORDER BY at DESC, id DESC LIMIT $3`,
          [before.at, before.id, limit],
        )
      : await this.#pool.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY at DESC, id DESC LIMIT $1`, [
          limit,
        ]);
    return rows.map(fromAuditRow);
  }

  async purgeAudit(before: number): Promise<number> {
    return (await this.#pool.query('DELETE FROM audit_log WHERE at < $1', [before])).rowCount ?? 0;
  }

  async addActivity(counts: readonly ActivityCount[]): Promise<void> {
    const merged = mergeActivity(counts);
    if (merged.length === 0) return;
    // One statement for the minute's counts; merged and sorted, so nodes adding
    // to the same rows lock them in one order, and no row is touched twice.
    await this.#pool.query(
      `INSERT INTO activity (start, kind, key, n)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])
       ON CONFLICT (start, kind, key) DO UPDATE SET n = activity.n + excluded.n`,
      [merged.map((c) => c.start), merged.map((c) => c.kind), merged.map((c) => c.key), merged.map((c) => c.n)],
    );
  }

  async listActivity(since: number, bucketMs: number): Promise<ActivityCount[]> {
    const { rows } = await this.#pool.query<ActivityRow>(
      `SELECT (start / $2) * $2 AS start, kind, key, sum(n)::bigint AS n
         FROM activity WHERE start >= $1 GROUP BY 1, kind, key`,
      [since, bucketMs],
    );
    return rows.map(fromActivityRow);
  }

  async purgeActivity(before: number): Promise<number> {
    return (await this.#pool.query('DELETE FROM activity WHERE start < $1', [before])).rowCount ?? 0;
  }

  async purgeExpired(now: number): Promise<number> {
    const { rows } = await this.#pool.query<{ n: number }>(
      `WITH tokens AS (DELETE FROM opaque_tokens WHERE exp <= $1 RETURNING 1),
            revoked AS (DELETE FROM revoked_jtis WHERE expires_at <= $2 RETURNING 1),
            used AS (DELETE FROM used_jtis WHERE expires_at <= $2 RETURNING 1),
            ${PostgresStatusLists.PURGE_CTES}
       SELECT (SELECT count(*) FROM tokens) + (SELECT count(*) FROM revoked) + (SELECT count(*) FROM used) + ${PostgresStatusLists.PURGE_COUNT} AS n`,
      [Math.floor(now / 1000), now],
    );
    return Number(rows[0]?.n ?? 0);
  }

  // --- status lists (status-queries.ts) ----------------------------------------

  get #status(): PostgresStatusLists {
    this.#statusLists ??= new PostgresStatusLists(this.#pool);
    return this.#statusLists;
  }
  #statusLists: PostgresStatusLists | undefined;

  insertStatusBlock(block: StatusBlockRecord): Promise<void> {
    return this.#status.insertBlock(block);
  }

  linkStatusEntries(links: readonly StatusLink[]): Promise<string[]> {
    return this.#status.link(links);
  }

  revokeStatus(jti: string, entries: readonly StatusEntry[], expiresAt: number): Promise<string[]> {
    return this.#status.revoke(jti, entries, expiresAt);
  }

  revokeClientStatus(clientId: string, expiresAt: number): Promise<string[]> {
    return this.#status.revokeClient(clientId, expiresAt);
  }

  getStatusList(listId: string, now: number): Promise<StatusListContents | undefined> {
    return this.#status.get(listId, now);
  }
}

/**
 * Writes an audit entry on the change's own transaction connection, so both
 * commit or neither (a no-op without an entry). For any store method that
 * records an admin change, trusted issuers' included.
 */
export async function insertAudit(db: PoolClient, entry: AuditEntry | undefined): Promise<void> {
  if (!entry) return;
  await db.query('INSERT INTO audit_log (at, action, target, actor, address) VALUES ($1, $2, $3, $4, $5)', [
    entry.at,
    entry.action,
    entry.target,
    entry.actor,
    entry.address,
  ]);
}

const INSERT_SECRET =
  'INSERT INTO client_secrets (id, client_id, hash, sealed, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)';

function secretParams(clientId: string, s: SecretRecord): unknown[] {
  return [s.id, clientId, s.hash, s.sealed, s.createdAt, s.expiresAt];
}

/** A unique violation on trusted_issuers can only be its issuer (the id is a fresh UUID). */
function duplicateIssuer(err: unknown, record: TrustedIssuerRecord): unknown {
  return err instanceof DatabaseError && err.code === UNIQUE_VIOLATION
    ? new DuplicateIssuerError(record.config.issuer)
    : err;
}

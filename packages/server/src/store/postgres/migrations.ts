import type { Pool } from 'pg';
import { transaction } from './pool.js';

/**
 * Versioned schema: version N is `migrations[N - 1]`. A migration is never
 * edited once released: add a new one. `schema_migrations` records each one
 * applied.
 *
 * Ids compare as bytes (COLLATE "C"), as in SQLite, so listing and paging
 * clients gives the same order whatever the database's locale. Metadata is
 * TEXT, not JSONB: it round-trips exactly (JSONB refuses "\u0000" in a
 * claim, which client validation allows), and the one field we query,
 * access_token_ttl, has its own column.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE clients (
    client_id         TEXT COLLATE "C" PRIMARY KEY,
    metadata          TEXT NOT NULL,
    scope             TEXT NOT NULL DEFAULT '',
    access_token_ttl  INTEGER NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
  );

  CREATE TABLE client_secrets (
    id          TEXT COLLATE "C" PRIMARY KEY,
    client_id   TEXT COLLATE "C" NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    hash        TEXT NOT NULL,
    sealed      TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT
  );
  CREATE INDEX client_secrets_client ON client_secrets(client_id);

  CREATE TABLE signing_keys (
    kid          TEXT COLLATE "C" PRIMARY KEY,
    alg          TEXT NOT NULL,
    public_jwk   TEXT NOT NULL,
    private_key  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    activates_at BIGINT NOT NULL,
    retires_at   BIGINT
  );

  CREATE TABLE settings (
    name   TEXT COLLATE "C" PRIMARY KEY,
    value  TEXT NOT NULL
  );

  CREATE TABLE opaque_tokens (
    hash       TEXT COLLATE "C" PRIMARY KEY,
    client_id  TEXT COLLATE "C" NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    jti        TEXT NOT NULL,
    scope      TEXT NOT NULL,
    audience   TEXT[] NOT NULL,
    iat        BIGINT NOT NULL,
    exp        BIGINT NOT NULL
  );
  CREATE INDEX opaque_tokens_exp ON opaque_tokens(exp);
  CREATE INDEX opaque_tokens_client ON opaque_tokens(client_id);

  CREATE TABLE revoked_jtis (
    jti         TEXT COLLATE "C" PRIMARY KEY,
    expires_at  BIGINT NOT NULL
  );
  CREATE INDEX revoked_jtis_exp ON revoked_jtis(expires_at);

  CREATE TABLE used_jtis (
    key         TEXT COLLATE "C" PRIMARY KEY,
    expires_at  BIGINT NOT NULL
  );
  CREATE INDEX used_jtis_exp ON used_jtis(expires_at);
  `,
  // 2: opaque tokens keyed by the time-ordered id they carry, so an insert
  // appends to the index instead of dirtying a random page; no foreign key
  // or client index, which every insert paid for and only client deletion
  // used. Tokens issued before keep working under the key h:<digest>.
  `
  CREATE TABLE opaque_tokens_v2 (
    id         TEXT COLLATE "C" PRIMARY KEY,
    hash       TEXT NOT NULL,
    client_id  TEXT COLLATE "C" NOT NULL,
    jti        TEXT NOT NULL,
    scope      TEXT NOT NULL,
    audience   TEXT[] NOT NULL,
    iat        BIGINT NOT NULL,
    exp        BIGINT NOT NULL
  );
  INSERT INTO opaque_tokens_v2 (id, hash, client_id, jti, scope, audience, iat, exp)
    SELECT 'h:' || hash, hash, client_id, jti, scope, audience, iat, exp FROM opaque_tokens;
  DROP TABLE opaque_tokens;
  ALTER TABLE opaque_tokens_v2 RENAME TO opaque_tokens;
  ALTER INDEX opaque_tokens_v2_pkey RENAME TO opaque_tokens_pkey;
  CREATE INDEX opaque_tokens_exp ON opaque_tokens(exp);
  `,
  // 3: extension claims of an opaque token (sub, act, cnf) as JSON, so new
  // claims need no new migration. TEXT, not JSONB, as for client metadata:
  // it round-trips exactly, where JSONB refuses "\u0000" (which a claim
  // taken from a subject token may hold) and reorders keys, and nothing
  // queries inside it. Nullable without a default, so adding it rewrites no
  // rows; NULL when a token has none.
  `
  ALTER TABLE opaque_tokens ADD COLUMN ext TEXT;
  `,
  // 4: the audit log (admin changes, written in each change's transaction)
  // and the activity counts each node adds to once a minute. (at, id)
  // orders and pages the log; ids come from an identity column.
  `
  CREATE TABLE audit_log (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       BIGINT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    actor    TEXT NOT NULL,
    address  TEXT NOT NULL
  );
  CREATE INDEX audit_log_at ON audit_log(at, id);

  CREATE TABLE activity (
    start  BIGINT NOT NULL,
    kind   TEXT COLLATE "C" NOT NULL,
    key    TEXT COLLATE "C" NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (start, kind, key)
  );
  `,
  // 5: issuers whose tokens authenticate workloads (federated_jwt). The
  // issuer is unique: a token's iss names at most one. The rest of the
  // configuration is TEXT JSON, as client metadata is.
  `
  CREATE TABLE trusted_issuers (
    id          TEXT COLLATE "C" PRIMARY KEY,
    issuer      TEXT COLLATE "C" NOT NULL UNIQUE,
    config      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
  );
  `,
  // 6: status lists (draft-ietf-oauth-status-list), as SQLite's migration 6.
  `
  CREATE TABLE status_blocks (
    list_id            TEXT NOT NULL,
    first_idx          INTEGER NOT NULL,
    size               INTEGER NOT NULL,
    client_id          TEXT NOT NULL,
    client_created_at  BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    PRIMARY KEY (list_id, first_idx)
  );
  CREATE INDEX status_blocks_client ON status_blocks(client_id);
  CREATE INDEX status_blocks_exp ON status_blocks(expires_at);
  CREATE TABLE status_bits (
    list_id     TEXT NOT NULL,
    idx         INTEGER NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (list_id, idx)
  );
  CREATE INDEX status_bits_exp ON status_bits(expires_at);
  CREATE TABLE status_links (
    parent_jti                TEXT NOT NULL,
    list_id                   TEXT NOT NULL,
    idx                       INTEGER NOT NULL,
    parent_client_id          TEXT NOT NULL,
    parent_client_created_at  BIGINT NOT NULL,
    expires_at                BIGINT NOT NULL,
    PRIMARY KEY (parent_jti, list_id, idx)
  );
  CREATE INDEX status_links_client ON status_links(parent_client_id);
  CREATE INDEX status_links_list ON status_links(list_id);
  CREATE INDEX status_links_exp ON status_links(expires_at);
  CREATE TABLE status_dead_clients (
    client_id   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (client_id, created_at)
  );
  `,
];

/** First key of the two-key advisory lock; the second is the schema's hash. */
const LOCK_NAMESPACE = 0x7e55e4a;

/**
 * Applies the migrations not yet recorded, in one transaction under an
 * advisory lock scoped to the schema: nodes starting together queue on the
 * lock, and each one after the first finds nothing left to do. Versions
 * newer than this build knows (a rollback of the code) are left alone.
 */
export async function migrate(pool: Pool, now: number): Promise<void> {
  await transaction(pool, async (db) => {
    const { rows } = await db.query<{ schema: string | null }>('SELECT current_schema() AS schema');
    const schema = rows[0]?.schema;
    if (!schema) throw new Error('no schema to migrate: the search_path names no existing schema');
    await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, schema]);
    await db.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
    );
    const applied = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(applied.rows.map((r) => r.version));
    for (const [i, sql] of migrations.entries()) {
      const version = i + 1;
      if (done.has(version)) continue;
      await db.query(sql);
      await db.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [version, now]);
    }
  });
}

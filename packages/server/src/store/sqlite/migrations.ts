/**
 * Versioned schema. A migration is never edited once released: add a new one.
 * `PRAGMA user_version` records the last one applied.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE clients (
    client_id   TEXT PRIMARY KEY,
    metadata    TEXT NOT NULL,
    scope       TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE client_secrets (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    hash        TEXT NOT NULL,
    sealed      TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER
  );
  CREATE INDEX client_secrets_client ON client_secrets(client_id);

  CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    alg          TEXT NOT NULL,
    public_jwk   TEXT NOT NULL,
    private_key  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    activates_at INTEGER NOT NULL,
    retires_at   INTEGER
  );

  CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE opaque_tokens (
    hash       TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    jti        TEXT NOT NULL,
    scope      TEXT NOT NULL,
    audience   TEXT NOT NULL,
    iat        INTEGER NOT NULL,
    exp        INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX opaque_tokens_exp ON opaque_tokens(exp);
  CREATE INDEX opaque_tokens_client ON opaque_tokens(client_id);

  CREATE TABLE revoked_jtis (
    jti         TEXT PRIMARY KEY,
    expires_at  INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX revoked_jtis_exp ON revoked_jtis(expires_at);

  CREATE TABLE used_jtis (
    key         TEXT PRIMARY KEY,
    expires_at  INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX used_jtis_exp ON used_jtis(expires_at);
  `,
  // 2: opaque tokens keyed by the time-ordered id they carry, so an insert
  // appends instead of dirtying a random page (3× cheaper); no foreign key
  // or client index, which every insert paid for and only client deletion
  // used. Tokens issued before keep working under the key h:<digest>.
  `
  ALTER TABLE opaque_tokens RENAME TO opaque_tokens_v1;
  CREATE TABLE opaque_tokens (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    scope      TEXT NOT NULL,
    audience   TEXT NOT NULL,
    iat        INTEGER NOT NULL,
    exp        INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO opaque_tokens (id, hash, client_id, jti, scope, audience, iat, exp)
    SELECT 'h:' || hash, hash, client_id, jti, scope, audience, iat, exp FROM opaque_tokens_v1;
  DROP TABLE opaque_tokens_v1;
  CREATE INDEX opaque_tokens_exp ON opaque_tokens(exp);
  `,
  // 3: extension claims of an opaque token (sub, act, cnf) as JSON text, so
  // new claims need no new migration. NULL when a token has none: adding a
  // nullable column only rewrites the schema, not the rows.
  `
  ALTER TABLE opaque_tokens ADD COLUMN ext TEXT;
  `,
  // 4: the audit log (admin changes, written in each change's transaction)
  // and the activity counts each process adds to once a minute. Audit ids
  // are the rowid: with `at` they order and page the log.
  `
  CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    actor    TEXT NOT NULL,
    address  TEXT NOT NULL
  );
  CREATE INDEX audit_log_at ON audit_log(at);

  CREATE TABLE activity (
    start  INTEGER NOT NULL,
    kind   TEXT NOT NULL,
    key    TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (start, kind, key)
  ) WITHOUT ROWID;
  `,
  // 5: issuers whose tokens authenticate workloads (federated_jwt). The
  // issuer is unique: a token's iss names at most one. The rest of the
  // configuration is JSON, as client metadata is.
  `
  CREATE TABLE trusted_issuers (
    id          TEXT PRIMARY KEY,
    issuer      TEXT NOT NULL UNIQUE,
    config      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 6: status lists (draft-ietf-oauth-status-list). Blocks of indexes and
  // their owner (one row per block, never per token); the entries set by a
  // revocation; exchanged tokens' entries under their ancestors; and the
  // clients deleted while their blocks live.
  `
  CREATE TABLE status_blocks (
    list_id            TEXT NOT NULL,
    first_idx          INTEGER NOT NULL,
    size               INTEGER NOT NULL,
    client_id          TEXT NOT NULL,
    client_created_at  INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    PRIMARY KEY (list_id, first_idx)
  ) WITHOUT ROWID;
  CREATE INDEX status_blocks_client ON status_blocks(client_id);
  CREATE INDEX status_blocks_exp ON status_blocks(expires_at);
  CREATE TABLE status_bits (
    list_id     TEXT NOT NULL,
    idx         INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (list_id, idx)
  ) WITHOUT ROWID;
  CREATE INDEX status_bits_exp ON status_bits(expires_at);
  CREATE TABLE status_links (
    parent_jti                TEXT NOT NULL,
    list_id                   TEXT NOT NULL,
    idx                       INTEGER NOT NULL,
    parent_client_id          TEXT NOT NULL,
    parent_client_created_at  INTEGER NOT NULL,
    expires_at                INTEGER NOT NULL,
    PRIMARY KEY (parent_jti, list_id, idx)
  ) WITHOUT ROWID;
  CREATE INDEX status_links_client ON status_links(parent_client_id);
  CREATE INDEX status_links_list ON status_links(list_id);
  CREATE INDEX status_links_exp ON status_links(expires_at);
  CREATE TABLE status_dead_clients (
    client_id   TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (client_id, created_at)
  ) WITHOUT ROWID;
  `,
];

import type { ClientMetadata, ClientRecord, SecretRecord, StoredClient } from '../clients/client.js';
import type { OpaqueTokenRecord, SealedValue, SigningKeyRecord } from './types.js';

/** Rows of the tables both SQL backends share, and their mapping to records. */

export interface ClientRow {
  client_id: string;
  metadata: string;
  created_at: number;
  updated_at: number;
}

/** A client LEFT JOINed with its secrets: the secret columns are null when it has none. */
export interface ClientSecretRow extends ClientRow {
  secret_id: string | null;
  hash: string | null;
  sealed: string | null;
  secret_created_at: number | null;
  expires_at: number | null;
}

/** Reads a client and its secrets in one statement, so both come from one snapshot. */
export const CLIENT_WITH_SECRETS_SQL = (param: string) => `
  SELECT c.client_id, c.metadata, c.created_at, c.updated_at,
         s.id AS secret_id, s.hash, s.sealed, s.created_at AS secret_created_at, s.expires_at
    FROM clients c LEFT JOIN client_secrets s ON s.client_id = c.client_id
   WHERE c.client_id = ${param}
   ORDER BY s.created_at DESC, s.id`;

/** A page of clients with their secrets, in client id order (as listClients pages them). */
export const CLIENTS_WITH_SECRETS_PAGE_SQL = (after: string, limit: string) => `
  SELECT c.client_id, c.metadata, c.created_at, c.updated_at,
         s.id AS secret_id, s.hash, s.sealed, s.created_at AS secret_created_at, s.expires_at
    FROM (SELECT * FROM clients WHERE client_id > ${after} ORDER BY client_id LIMIT ${limit}) c
    LEFT JOIN client_secrets s ON s.client_id = c.client_id
   ORDER BY c.client_id, s.created_at DESC, s.id`;

export function fromClientSecretRows(rows: readonly ClientSecretRow[]): StoredClient | undefined {
  return fromClientSecretPage(rows)[0];
}

/** Rows of several clients, each client's rows together: one StoredClient per client. */
export function fromClientSecretPage(rows: readonly ClientSecretRow[]): StoredClient[] {
  const clients: StoredClient[] = [];
  let start = 0;
  for (let i = 1; i <= rows.length; i++) {
    if (i < rows.length && rows[i]?.client_id === rows[start]?.client_id) continue;
    clients.push(toStoredClient(rows, start, i));
    start = i;
  }
  return clients;
}

function toStoredClient(rows: readonly ClientSecretRow[], start: number, end: number): StoredClient {
  const secrets: SecretRecord[] = [];
  for (let i = start; i < end; i++) {
    const r = rows[i] as ClientSecretRow;
    if (r.secret_id === null || r.hash === null || r.secret_created_at === null) continue;
    secrets.push({
      id: r.secret_id,
      hash: r.hash,
      sealed: r.sealed,
      createdAt: r.secret_created_at,
      expiresAt: r.expires_at,
    });
  }
  return { ...fromClientRow(rows[start] as ClientSecretRow), secrets };
}

export interface KeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  private_key: string;
  created_at: number;
  activates_at: number;
  retires_at: number | null;
}

export function fromClientRow(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    metadata: JSON.parse(row.metadata) as ClientMetadata,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function fromKeyRow(r: KeyRow): SigningKeyRecord {
  return {
    kid: r.kid,
    alg: r.alg,
    publicJwk: r.public_jwk,
    sealedPrivateKey: r.private_key,
    createdAt: r.created_at,
    activatesAt: r.activates_at,
    retiresAt: r.retires_at,
  };
}

/** A sealed value as both backends list it: a signing key (kid) or a client secret (id, client_id). */
export interface SealedRow {
  kind: 'signing-key' | 'client-secret';
  id: string;
  client_id: string | null;
  sealed: string;
}

export function fromSealedRow(r: SealedRow): SealedValue {
  return r.kind === 'signing-key'
    ? { ref: { kind: 'signing-key', kid: r.id }, sealed: r.sealed }
    : { ref: { kind: 'client-secret', clientId: r.client_id ?? '', secretId: r.id }, sealed: r.sealed };
}

/**
 * opaque_tokens.ext as bound on insert: NULL for the common token without
 * extension claims, so it pays for no JSON.stringify.
 */
export function toExtColumn(extension: OpaqueTokenRecord['extension']): string | null {
  return extension === undefined ? null : JSON.stringify(extension);
}

/** An opaque_tokens row; `audience` is JSON text in SQLite and an array in PostgreSQL. */
export interface TokenRow<Audience> {
  id: string;
  hash: string;
  client_id: string;
  jti: string;
  scope: string;
  audience: Audience;
  iat: number;
  exp: number;
  ext: string | null;
}

/**
 * Sets `extension` from opaque_tokens.ext only when the row has one, so a
 * token without (or stored before the column existed) reads back without
 * the property, deepEqual to the record that was inserted.
 */
export function fromTokenRow(r: TokenRow<unknown>, audience: readonly string[]): OpaqueTokenRecord {
  const token: OpaqueTokenRecord = {
    id: r.id,
    hash: r.hash,
    clientId: r.client_id,
    jti: r.jti,
    scope: r.scope,
    audience,
    iat: r.iat,
    exp: r.exp,
  };
  if (r.ext !== null) token.extension = JSON.parse(r.ext) as Record<string, unknown>;
  return token;
}

import type { ClientMetadata, ClientRecord, SecretRecord, StoredClient } from '../clients/client.js';
import type { TrustedIssuerRecord } from '../federation/trusted-issuer.js';

export { DuplicateIssuerError } from '../federation/trusted-issuer.js';

/**
 * Storage, as small interfaces: each part of the server depends only on the
 * slice it needs. Every backend implements all of them and passes the one
 * contract suite (`contract.test-suite.ts`). Timestamps are milliseconds.
 */

export class DuplicateClientError extends Error {
  override name = 'DuplicateClientError';
}

/**
 * Admin changes the audit log records (CONTRACT.md part two, "Audit").
 * Trusted issuers (issue 28) record theirs through the same `audit`
 * parameter on their store methods: in SQLite with `#audit` inside the
 * change's `#durable` transaction, in PostgreSQL with `insertAudit(db, …)`
 * on the change's transaction connection.
 */
export const AUDIT_ACTIONS = [
  'client.create',
  'client.update',
  'client.delete',
  'client.secret.rotate',
  'key.rotate',
  'trusted_issuer.create',
  'trusted_issuer.update',
  'trusted_issuer.delete',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * One admin change, written in the same transaction as the change itself:
 * a change that fails or does nothing leaves no entry. Never a secret, a
 * hash or a metadata value: what, on what, by whom, from where, when.
 */
export interface AuditEntry {
  /** Milliseconds since the epoch. */
  at: number;
  action: AuditAction;
  /** The id acted on: a client id, a key's kid, a trusted issuer's id. */
  target: string;
  /** Who, without revealing a credential: `admin-key:<digest>`, `console:<digest>` (admin/audit-actor.ts). */
  actor: string;
  /** The client address (TESSERA_TRUST_PROXY applied). */
  address: string;
}

/** Who made a change and from where: what the HTTP layer knows of an entry (admin/audit-actor.ts). */
export type AuditOrigin = Pick<AuditEntry, 'actor' | 'address'>;

/** An entry as read back, with the store's id: (at, id) orders and pages the log. */
export interface AuditRecord extends AuditEntry {
  id: number;
}

/** Where a page of the audit log ends: the next page starts strictly before it. */
export interface AuditPosition {
  at: number;
  id: number;
}

export interface AuditStore {
  /** Newest first, by (at, id) descending; strictly before `before` when given. */
  listAudit(before: AuditPosition | undefined, limit: number): Promise<AuditRecord[]>;
  /** Deletes the entries older than `before` (ms); safe to run on several nodes at once. Returns how many. */
  purgeAudit(before: number): Promise<number>;
}

/** What the activity counters count: tokens issued (key: client id) and failed client authentications (key: reason). */
export type ActivityKind = 'issued' | 'failure';

export interface ActivityCount {
  /** Start of the count's period, ms. */
  start: number;
  kind: ActivityKind;
  key: string;
  n: number;
}

/**
 * Per-minute counts that every process adds to (one write per process per
 * minute, metrics/activity-counter.ts), so workers and nodes sharing the
 * store are counted together.
 */
export interface ActivityStore {
  /** Adds each count to the stored one of its (start, kind, key), in one transaction. */
  addActivity(counts: readonly ActivityCount[]): Promise<void>;
  /** The sums of the counts whose start is at or after `since`, by (start rounded down to a multiple of `bucketMs`, kind, key). */
  listActivity(since: number, bucketMs: number): Promise<ActivityCount[]>;
  /** Deletes the counts that start before `before`; safe to run on several nodes at once. Returns how many. */
  purgeActivity(before: number): Promise<number>;
}

/** What a metadata change does to a client's stored secrets (ClientStore.updateClientSecrets). */
export type SecretChange = 'delete' | 'unseal';

/**
 * Every change takes an optional AuditEntry, written in the change's own
 * transaction only when the change is made (a false answer writes none).
 */
export interface ClientStore {
  /** Throws DuplicateClientError when the id is taken. */
  insertClient(client: ClientRecord, secret: SecretRecord | null, audit?: AuditEntry): Promise<void>;
  getClient(clientId: string): Promise<StoredClient | undefined>;
  /** Ordered by client id, strictly after `after`. */
  listClients(after: string | undefined, limit: number): Promise<ClientRecord[]>;
  /** As listClients, with each client's secrets: what the client cache is filled from at start. */
  listStoredClients(after: string | undefined, limit: number): Promise<StoredClient[]>;
  updateClient(clientId: string, metadata: ClientMetadata, updatedAt: number, audit?: AuditEntry): Promise<boolean>;
  /**
   * As updateClient, and in the same transaction changes every secret of
   * the client: `delete` (it left the secret methods: no secret may come back
   * to life) or `unseal` (its method no longer needs the secret itself: only
   * the hashes stay, no recoverable copy).
   */
  updateClientSecrets(
    clientId: string,
    metadata: ClientMetadata,
    updatedAt: number,
    change: SecretChange,
    audit?: AuditEntry,
  ): Promise<boolean>;
  /**
   * Also removes the client's secrets. Its opaque tokens stay until they
   * expire: readers check that the token's client still exists (and was not
   * re-created since), so they are dead already, and finding them would need
   * an index on every token insert.
   */
  deleteClient(clientId: string, audit?: AuditEntry): Promise<boolean>;
  /**
   * Adds `secret`; every other secret of the client now expires at
   * `previousExpiresAt` at the latest (now = at once). Secrets already
   * expired are removed.
   */
  addSecret(
    clientId: string,
    secret: SecretRecord,
    previousExpiresAt: number,
    now: number,
    audit?: AuditEntry,
  ): Promise<boolean>;
  /** Every scope some client is allowed: discovery's scopes_supported. */
  listScopes(): Promise<string[]>;
  /** The longest access_token_ttl any client has, in seconds (0 when there are none). */
  maxAccessTokenTtl(): Promise<number>;
}

/** Issuers whose tokens authenticate workloads (federated_jwt); few, read whole into memory. */
export interface TrustedIssuerStore {
  /** Throws DuplicateIssuerError when another trusted issuer has the same `issuer`. */
  insertTrustedIssuer(record: TrustedIssuerRecord, audit?: AuditEntry): Promise<void>;
  getTrustedIssuer(id: string): Promise<TrustedIssuerRecord | undefined>;
  /** Ordered by id, strictly after `after`. */
  listTrustedIssuers(after: string | undefined, limit: number): Promise<TrustedIssuerRecord[]>;
  /** Replaces config and updatedAt; false when there is no such id. Throws DuplicateIssuerError as insert does. */
  updateTrustedIssuer(record: TrustedIssuerRecord, audit?: AuditEntry): Promise<boolean>;
  deleteTrustedIssuer(id: string, audit?: AuditEntry): Promise<boolean>;
}

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  /** Public JWK, JSON. */
  publicJwk: string;
  /** PKCS#8 private key, sealed under the encryption key. */
  sealedPrivateKey: string;
  createdAt: number;
  /** Signs new tokens from this time on. */
  activatesAt: number;
  /** Leaves the JWKS at this time; null while it is current. */
  retiresAt: number | null;
}

export interface SigningKeyStore {
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Adds `key` and, in the same transaction, makes every other key that is
   * still current retire at `retireOthersAt`. Keys retired before `purgeBefore` are deleted.
   */
  rotateSigningKey(
    key: SigningKeyRecord,
    retireOthersAt: number,
    purgeBefore: number,
    audit?: AuditEntry,
  ): Promise<void>;
}

export interface SettingStore {
  getSetting(name: string): Promise<string | undefined>;
  /** Sets `name` unless it is set already; returns the value now stored. */
  setSettingIfAbsent(name: string, value: string): Promise<string>;
  setSetting(name: string, value: string): Promise<void>;
}

export interface OpaqueTokenRecord {
  /**
   * The row's key: the id the token carries (a UUIDv7, time-ordered), or
   * `h:<digest>` for a token issued before tokens carried ids. Not secret.
   */
  id: string;
  /** Keyed hash of the whole token (SecretHasher.hash): the token itself is never stored. */
  hash: string;
  clientId: string;
  jti: string;
  scope: string;
  audience: readonly string[];
  /** Seconds since the epoch, as in the token's claims. */
  iat: number;
  exp: number;
  /**
   * Claims beyond the columns above, as one JSON object: `sub` when the
   * subject is not the client, `act` (token exchange), `cnf` (DPoP, mTLS).
   * Absent when there are none, the common case: a row stored without one,
   * or before the column existed, reads back without the property. Stored
   * as JSON text, so only what JSON.stringify keeps comes back (no
   * undefined values, functions or bigints; a bigint fails the insert).
   */
  extension?: Readonly<Record<string, unknown>> | undefined;
}

export interface TokenStore {
  insertOpaqueToken(token: OpaqueTokenRecord): Promise<void>;
  getOpaqueToken(id: string): Promise<OpaqueTokenRecord | undefined>;
  deleteOpaqueToken(id: string): Promise<boolean>;
}

export interface RevocationStore {
  /** Puts a JWT's jti on the denylist until `expiresAt` (ms). */
  revokeJti(jti: string, expiresAt: number): Promise<void>;
  isJtiRevoked(jti: string, now: number): Promise<boolean>;
}

/** The durable denylist can also be listed, to rebuild a fast copy (Redis) from it. */
export interface DurableRevocationStore extends RevocationStore {
  /** Every jti revoked and not yet expired at `now`. */
  listRevokedJtis(now: number): Promise<{ jti: string; expiresAt: number }[]>;
}

/**
 * Status lists (draft-ietf-oauth-status-list; status/): what must outlive
 * a node. Indexes are handed out from memory in blocks; each block's owner
 * is written once (insertStatusBlock), so deleting a client can mark every
 * index it was given. A list exists while one of its blocks is live.
 */
export interface StatusBlockRecord {
  listId: string;
  /** The block's first index and how many follow it. */
  first: number;
  size: number;
  clientId: string;
  /** The owner's `createdAt`: a client deleted and re-created under the same id owns none of the old blocks. */
  clientCreatedAt: number;
  /** When every token given an index of the block has expired (ms). */
  expiresAt: number;
}

/** One token's place in a list. */
export interface StatusEntry {
  listId: string;
  idx: number;
}

/** A token exchanged (RFC 8693) from `parentJti`: revoking that ancestor, or deleting its client, sets the entry. */
export interface StatusLink extends StatusEntry {
  parentJti: string;
  parentClientId: string;
  parentClientCreatedAt: number;
  /** The exchanged token's expiry (ms). */
  expiresAt: number;
}

export interface StatusListContents {
  /** One past the highest index any live block holds: the list's length in statuses. */
  size: number;
  /** Indexes whose status is 1 (invalid), in no particular order, possibly repeated. */
  revoked: number[];
  /** Whole blocks that are invalid (their client was deleted), as [first, size]. */
  revokedBlocks: [number, number][];
}

export interface StatusListStore {
  insertStatusBlock(block: StatusBlockRecord): Promise<void>;
  /**
   * Records exchanged tokens under their ancestors. A link whose ancestor
   * is already on the denylist, or whose ancestor's client is already
   * deleted, sets its entry at once: an exchange racing a revocation never
   * leaves the child valid. Returns the lists that changed.
   */
  linkStatusEntries(links: readonly StatusLink[]): Promise<string[]>;
  /**
   * Sets `entries` (valid until `expiresAt`, ms) and every entry linked
   * under `jti`, at once and durably. Returns the lists that changed.
   */
  revokeStatus(jti: string, entries: readonly StatusEntry[], expiresAt: number): Promise<string[]>;
  /**
   * Before a client is deleted: every block it owns (as it exists now) and
   * every entry linked under its tokens reads as invalid from now on,
   * blocks recorded later included. Returns the lists that changed.
   */
  revokeClientStatus(clientId: string, expiresAt: number): Promise<string[]>;
  /** The list's contents, or undefined when no live block of it exists. */
  getStatusList(listId: string, now: number): Promise<StatusListContents | undefined>;
}

export interface ReplayStore {
  /** Atomically records `key` as used until `expiresAt`; false if it was already used. */
  useOnce(key: string, expiresAt: number, now: number): Promise<boolean>;
}

/** Where a sealed value lives: what its AAD is made from. */
export type SealedRef =
  | { kind: 'signing-key'; kid: string }
  | { kind: 'client-secret'; clientId: string; secretId: string };

export interface SealedValue {
  ref: SealedRef;
  sealed: string;
}

/**
 * What rotating the encryption key needs. Sealed values and hashes name the
 * key that made them in their first characters (`v1.<key id>.`,
 * `hmac-sha256$<key id>$`), so a prefix selects them. Replacements are
 * compare-and-set on the old value: nodes starting at once, or a request
 * racing a secret rotation, never overwrite a newer value.
 */
export interface EncryptionKeyStore {
  /** Every sealed private signing key and client secret that does not start with `exceptPrefix` (the current key's). */
  listSealedValues(exceptPrefix: string): Promise<SealedValue[]>;
  /** Replaces a sealed value if it still is `old`; true if this call replaced it. */
  replaceSealedValue(ref: SealedRef, old: string, sealed: string): Promise<boolean>;
  /** How many client secret hashes not expired at `now` start with `prefix` ('' counts them all). */
  countSecretHashes(prefix: string, now: number): Promise<number>;
  /** Replaces a client secret's hash if it still is `old` (a re-hash under the current key); true if replaced. */
  replaceSecretHash(secretId: string, old: string, hash: string): Promise<boolean>;
}

export interface Store
  extends ClientStore,
    TrustedIssuerStore,
    SigningKeyStore,
    EncryptionKeyStore,
    SettingStore,
    TokenStore,
    DurableRevocationStore,
    ReplayStore,
    AuditStore,
    ActivityStore,
    StatusListStore {
  readonly kind: string;
  /** Resolves when the store answers; used by /readyz. */
  ping(): Promise<void>;
  /** Deletes expired opaque tokens, denylist entries, used jtis and status list rows. */
  purgeExpired(now: number): Promise<number>;
  close(): Promise<void>;
}

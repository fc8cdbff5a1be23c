import type { ClientMetadata } from './metadata-fields.js';

export type { TokenFormat } from '../tokens/granted-token.js';

/** Client metadata, with the names of RFC 7591 (what the admin API speaks): derived from METADATA_FIELDS. */
export type { ClientMetadata } from './metadata-fields.js';

export interface ClientRecord {
  clientId: string;
  metadata: ClientMetadata;
  /** Milliseconds since the epoch. */
  createdAt: number;
  updatedAt: number;
}

/** One client secret: only its keyed hash, plus a sealed copy for client_secret_jwt. */
export interface SecretRecord {
  id: string;
  hash: string;
  /** AES-GCM sealed secret, only for client_secret_jwt clients (the HMAC key must be recoverable). */
  sealed: string | null;
  createdAt: number;
  /** null: valid until replaced. */
  expiresAt: number | null;
}

export interface StoredClient extends ClientRecord {
  secrets: SecretRecord[];
}

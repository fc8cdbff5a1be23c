import type { ClientMetadata, ClientRecord } from '../clients/client.js';
import type { SigningKeyRecord } from './types.js';

/** Rows of the tables both SQL backends share, and their mapping to records. */

export interface ClientRow {
  client_id: string;
  metadata: string;
  created_at: number;
  updated_at: number;
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

import type { JWK } from 'jose';
import type { AuthMethodName } from '../client-auth/registry.js';
import type { GrantType } from '../grants/registry.js';
import type { TokenFormat } from '../tokens/granted-token.js';

export type { TokenFormat } from '../tokens/granted-token.js';

/** Client metadata, with the names of RFC 7591 (what the admin API speaks). */
export interface ClientMetadata {
  client_name?: string | undefined;
  /** Allowed scopes, space-delimited. */
  scope: string;
  /** Allowed audiences. */
  audience: string[];
  grant_types: GrantType[];
  token_endpoint_auth_method: AuthMethodName;
  jwks?: { keys: JWK[] } | undefined;
  jwks_uri?: string | undefined;
  /** Seconds. */
  access_token_ttl: number;
  access_token_format: TokenFormat;
  /** Extra claims put in every token (registered claims are refused). */
  claims: Record<string, unknown>;
  /** Token requests per minute; 0: unlimited; absent: the server default. */
  token_rate_limit?: number | undefined;
}

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

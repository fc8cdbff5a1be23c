import type { JWK } from 'jose';

export const AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'client_secret_jwt',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const GRANT_TYPES = ['client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export type TokenFormat = 'jwt' | 'opaque';

/** Client metadata, with the names of RFC 7591 (what the admin API speaks). */
export interface ClientMetadata {
  client_name?: string | undefined;
  /** Allowed scopes, space-delimited. */
  scope: string;
  /** Allowed audiences. */
  audience: string[];
  grant_types: GrantType[];
  token_endpoint_auth_method: AuthMethod;
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

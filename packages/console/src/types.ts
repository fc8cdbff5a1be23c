export interface Client {
  client_id: string;
  client_name?: string;
  scope: string;
  audience: string[];
  grant_types: string[];
  token_endpoint_auth_method: string;
  access_token_ttl: number;
  access_token_format: 'jwt' | 'opaque';
  jwks?: { keys: unknown[] };
  jwks_uri?: string;
  claims: Record<string, unknown>;
  client_id_issued_at?: number;
  updated_at?: number;
  client_secret?: string;
  client_secret_expires_at?: number;
  [field: string]: unknown;
}

export interface SigningKey {
  kid: string;
  alg: string;
  kty: string;
  status: 'signing' | 'published' | 'retiring';
  activates_at: number;
  retires_at: number | null;
}

export interface KeyList {
  items: SigningKey[];
  next_rotation_at?: number | null;
}

export interface TrustedIssuer {
  id: string;
  issuer: string;
  jwks_uri?: string;
  audience?: string;
  max_token_lifetime?: number;
}

export interface AuditEntry {
  at: string;
  action: string;
  target: string;
  actor: string;
  address: string;
}

export interface ActivityBucket {
  start: string | number;
  issued: Record<string, number>;
  failures: Record<string, number>;
}

export interface Activity {
  range: 'hour' | 'day';
  bucket_seconds: number;
  buckets: ActivityBucket[];
}

export interface Session {
  actor: string;
  idle_expires_at: string;
  expires_at: string;
}

import { options } from './options.js';

export type SigningAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Explicit issuer; when absent it is derived from the port actually bound. */
  readonly issuer: string | undefined;
  /** The audience of tokens for clients registered without one; absent: `<issuer>/resources`. */
  readonly defaultAudience: string | undefined;
  readonly adminKey: string | undefined;
  readonly adminKeyPrevious: string | undefined;
  readonly databaseUrl: string;
  readonly redisUrl: string | undefined;
  readonly signingAlg: SigningAlg;
  readonly encryptionKey: string | undefined;
  /** Keys being retired: accepted to open and verify, never to seal or hash. */
  readonly encryptionKeyPrevious: readonly string[] | undefined;
  readonly workers: number;
  readonly clientCacheSize: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly bodyLimit: number;
  readonly shutdownDrainMs: number;
  readonly shutdownTimeoutMs: number;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  readonly trustProxy: boolean | number | string[];
  /** PEM file of the CAs for tls_client_auth certificates. */
  readonly tlsClientCa: string | undefined;
  /** Lower-cased name of the RFC 9440 header a trusted proxy passes the client certificate in. */
  readonly clientCertHeader: string | undefined;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly keyRotationDays: number;
  /** Days audit entries are kept; 0: for ever. */
  readonly auditRetentionDays: number;
  readonly tokenRateLimit: number;
  readonly authFailuresPerAddress: number;
  readonly authFailuresPerClient: number;
  /** RFC 9449 §8 server nonces in DPoP proofs at the token endpoint. */
  readonly dpopNonce: 'off' | 'required';
  /** The admin console at /console/ and its session cookie on the admin API. */
  readonly console: boolean;
  readonly metrics: boolean;
  readonly metricsPort: number | undefined;
  readonly metricsHost: string;
  /** Status lists for JWTs (draft-ietf-oauth-status-list). */
  readonly statusLists: boolean;
  readonly statusEventsMaxSubscribers: number;
}

/** A bad setting: its message is one line that names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads every option from `env` (plus `overrides`, used by tests and the
 * CLI), validates it once and returns a frozen object. Empty strings count
 * as unset, as in most twelve-factor tooling.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const out: Record<string, unknown> = {};
  for (const [name, opt] of Object.entries(options)) {
    if (name in overrides) {
      out[name] = overrides[name as keyof Config];
      continue;
    }
    const raw = env[opt.env];
    const value = raw === undefined || raw === '' ? opt.default : raw;
    if (value === undefined) {
      out[name] = undefined;
      continue;
    }
    // A default that names another setting is resolved once that one is known.
    if (value === opt.default && value.includes('$')) {
      out[name] = undefined;
      continue;
    }
    const parsed = opt.schema.safeParse(value);
    if (!parsed.success) {
      const why = parsed.error.issues[0]?.message ?? 'is invalid';
      // Never echo a key, current or previous (TESSERA_*_KEY, TESSERA_*_KEY_PREVIOUS).
      const shown = opt.env.includes('_KEY') ? '' : ` (got ${JSON.stringify(String(value).slice(0, 80))})`;
      throw new ConfigError(`${opt.env} ${why}${shown}`);
    }
    out[name] = parsed.data;
  }
  const config = out as unknown as Config;
  // Rules that involve two settings, checked once the settings themselves are valid.
  if (Boolean(config.tlsCert) !== Boolean(config.tlsKey)) {
    throw new ConfigError('TESSERA_TLS_CERT and TESSERA_TLS_KEY must be set together');
  }
  if (config.adminKeyPrevious && !config.adminKey) {
    throw new ConfigError('TESSERA_ADMIN_KEY_PREVIOUS needs TESSERA_ADMIN_KEY, the key that replaces it');
  }
  if (config.workers > 1 && config.databaseUrl === 'sqlite::memory:') {
    throw new ConfigError('TESSERA_WORKERS above 1 needs a database the workers share, not sqlite::memory:');
  }
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    throw new ConfigError('TESSERA_HEADERS_TIMEOUT_MS must not exceed TESSERA_REQUEST_TIMEOUT_MS');
  }
  return Object.freeze(config);
}

/** The `aud` of tokens for clients registered without audiences (RFC 9068 §2.2 requires one). */
export function defaultAudienceFor(config: Config, issuer: string): string {
  return config.defaultAudience ?? `${issuer}/resources`;
}

/** The issuer for a server bound to `port`, when none is configured. */
export function issuerFor(config: Config, boundPort: number): string {
  return config.issuer ?? `${config.tlsCert ? 'https' : 'http'}://localhost:${boundPort}`;
}

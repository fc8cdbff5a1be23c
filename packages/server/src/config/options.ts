import { z } from 'zod';

/**
 * Every setting Tessera reads, in one table: the environment variable, its
 * schema, its default and one line of documentation. `loadConfig` resolves
 * them once at start-up; the docs are generated from this table, so the two
 * cannot drift.
 */

const port = z.coerce
  .number({ message: 'must be a port number' })
  .int('must be an integer')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

const httpUrl = z
  .string()
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without query or fragment')
  // RFC 8414 issuers are compared as strings; a trailing slash would make
  // `iss` differ from what most operators type in their verifiers.
  .transform((s) => s.replace(/\/+$/, ''));

const base64urlKey = z.string().regex(/^[A-Za-z0-9_-]{43}=?$/, 'must be 32 bytes, base64url-encoded (43 characters)');

/** One or more keys, comma-separated: the keys being retired during a rotation. */
const base64urlKeys = z.string().transform((v, ctx): string[] => {
  const keys = v
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (keys.length > 0 && keys.every((k) => base64urlKey.safeParse(k).success)) return keys;
  ctx.addIssue({
    code: 'custom',
    message: 'must be one or more comma-separated 32-byte base64url keys (43 characters each)',
  });
  return z.NEVER;
});

export const options = {
  port: {
    env: 'TESSERA_PORT',
    doc: 'Port to listen on (0 picks a free port).',
    default: '8080',
    schema: port,
  },
  host: {
    env: 'TESSERA_HOST',
    doc: 'Address to bind.',
    default: '127.0.0.1',
    schema: z.string().min(1, 'must not be empty'),
  },
  issuer: {
    env: 'TESSERA_ISSUER',
    doc: 'The `iss` of every token and the discovery `issuer`; endpoints are advertised under it.',
    default: 'http://localhost:$TESSERA_PORT',
    schema: httpUrl.optional(),
  },
  defaultAudience: {
    env: 'TESSERA_DEFAULT_AUDIENCE',
    doc: "The `aud` of tokens for a client registered without audiences: RFC 9068 access tokens always carry one (as Duende's `issuer/resources`).",
    default: '$TESSERA_ISSUER/resources',
    schema: z.string().min(1, 'must not be empty').max(512, 'must be at most 512 characters').optional(),
  },
  adminKey: {
    env: 'TESSERA_ADMIN_KEY',
    doc: 'Admin API key (at least 16 characters). Unset: one is generated on first start, printed once, and only its hash kept.',
    default: undefined,
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
  },
  adminKeyPrevious: {
    env: 'TESSERA_ADMIN_KEY_PREVIOUS',
    doc: 'While rotating TESSERA_ADMIN_KEY, the old key, still accepted: restart every node with both, then drop this one.',
    default: undefined,
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
  },
  databaseUrl: {
    env: 'TESSERA_DATABASE_URL',
    doc: '`sqlite:PATH` (embedded; `sqlite::memory:` for throwaway runs) or `postgres://…`.',
    default: 'sqlite:./data/tessera.db',
    schema: z.string().regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'must be sqlite:PATH or postgres://…'),
  },
  redisUrl: {
    env: 'TESSERA_REDIS_URL',
    doc: 'Optional Redis (`redis://…`) for state shared by several server nodes.',
    default: undefined,
    schema: z
      .string()
      .regex(/^rediss?:\/\/.+/, 'must be a redis:// or rediss:// URL')
      .optional(),
  },
  signingAlg: {
    env: 'TESSERA_SIGNING_ALG',
    doc: 'Access-token signing algorithm: RS256, PS256, ES256 or EdDSA.',
    default: 'RS256',
    schema: z.enum(['RS256', 'PS256', 'ES256', 'EdDSA'], {
      message: 'must be one of RS256, PS256, ES256, EdDSA',
    }),
  },
  encryptionKey: {
    env: 'TESSERA_ENCRYPTION_KEY',
    doc: '32 bytes, base64url: encrypts private signing keys and recoverable secrets at rest. Unset: generated on first start into a 0600 file beside the embedded database.',
    default: undefined,
    schema: base64urlKey.optional(),
  },
  encryptionKeyPrevious: {
    env: 'TESSERA_ENCRYPTION_KEY_PREVIOUS',
    doc: 'While rotating the encryption key, the old key(s), comma-separated: still accepted to open sealed values and verify hashes, never used to seal or hash. At start, values sealed under them are re-sealed under the current key; client secret and admin key hashes are re-hashed on their next use. See docs/security.md.',
    default: undefined,
    schema: base64urlKeys.optional(),
  },
  workers: {
    env: 'TESSERA_WORKERS',
    doc: 'Server processes sharing the port (one per core).',
    default: '1',
    schema: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').max(256),
  },
  clientCacheSize: {
    env: 'TESSERA_CLIENT_CACHE_SIZE',
    doc: 'Clients each server process keeps in memory, so a token request reads no database; least recently used go first. About 0.7 KB of heap each; 100,000 cached clients took a process from 124 MB to 221 MB of RSS under load on the benchmark machine.',
    default: '100000',
    schema: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').max(10_000_000),
  },
  logLevel: {
    env: 'TESSERA_LOG_LEVEL',
    doc: 'Log level: fatal, error, warn, info, debug, trace or silent.',
    default: 'info',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    }),
  },
  bodyLimit: {
    env: 'TESSERA_BODY_LIMIT',
    doc: 'Largest request body accepted, in bytes; larger ones get 413.',
    default: '65536',
    schema: z.coerce.number().int('must be an integer').min(1024).max(10_485_760),
  },
  shutdownDrainMs: {
    env: 'TESSERA_SHUTDOWN_DRAIN_MS',
    doc: 'On SIGTERM, /readyz answers 503 for this long while requests are still served, so a load balancer stops routing here before the server stops accepting.',
    default: '2000',
    schema: z.coerce.number().int('must be an integer').min(0).max(120_000),
  },
  shutdownTimeoutMs: {
    env: 'TESSERA_SHUTDOWN_TIMEOUT_MS',
    doc: 'After the drain, how long in-flight requests may take to finish before the process exits anyway.',
    default: '10000',
    schema: z.coerce.number().int('must be an integer').min(100).max(300_000),
  },
  tlsCert: {
    env: 'TESSERA_TLS_CERT',
    doc: 'PEM certificate (chain) file: serve HTTPS directly. Needs TESSERA_TLS_KEY. Unset: plain HTTP, for a TLS-terminating proxy in front.',
    default: undefined,
    schema: z.string().min(1).optional(),
  },
  tlsKey: {
    env: 'TESSERA_TLS_KEY',
    doc: 'PEM private key file for TESSERA_TLS_CERT.',
    default: undefined,
    schema: z.string().min(1).optional(),
  },
  trustProxy: {
    env: 'TESSERA_TRUST_PROXY',
    doc: 'Behind a reverse proxy: `true` (trust X-Forwarded-For from anyone) or comma-separated proxy addresses/CIDRs. Decides the client address used in logs and rate limits, and whether TESSERA_CLIENT_CERT_HEADER is believed. A hop count is accepted but trusts no peer (Fastify fails closed: hops cannot tell a proxy from a client): list the addresses.',
    default: 'false',
    schema: z.string().transform((v, ctx): boolean | number | string[] => {
      if (v === 'false') return false;
      if (v === 'true') return true;
      if (/^\d{1,2}$/.test(v)) return Number(v);
      const list = v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      if (list.length > 0 && list.every((x) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(x))) return list;
      ctx.addIssue({ code: 'custom', message: 'must be true, false, a hop count or a list of addresses/CIDRs' });
      return z.NEVER;
    }),
  },
  tlsClientCa: {
    env: 'TESSERA_TLS_CLIENT_CA',
    doc: 'PEM file of the CAs that issue client certificates for `tls_client_auth` (RFC 8705), read at start. With TESSERA_TLS_CERT set, the server then requests (never requires) a client certificate on every connection.',
    default: undefined,
    schema: z.string().min(1).optional(),
  },
  clientCertHeader: {
    env: 'TESSERA_CLIENT_CERT_HEADER',
    doc: 'Header in which a TLS-terminating proxy passes the client certificate, as RFC 9440 `Client-Cert` (`:<base64 DER>:`; intermediates in `<name>-Chain`). Honoured only from addresses TESSERA_TRUST_PROXY trusts; from anyone else it is stripped unread.',
    default: undefined,
    schema: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'must be a header name')
      .transform((v) => v.toLowerCase())
      .refine(
        (v) => !['authorization', 'dpop', 'host', 'content-type', 'content-length', 'cookie'].includes(v),
        'must not be a header Tessera reads for something else',
      )
      .optional(),
  },
  requestTimeoutMs: {
    env: 'TESSERA_REQUEST_TIMEOUT_MS',
    doc: 'A request (headers and body) must arrive within this time, or the connection is closed (408).',
    default: '30000',
    schema: z.coerce.number().int('must be an integer').min(1000).max(600_000),
  },
  headersTimeoutMs: {
    env: 'TESSERA_HEADERS_TIMEOUT_MS',
    doc: 'Request headers must arrive within this time (slowloris protection); at most TESSERA_REQUEST_TIMEOUT_MS.',
    default: '10000',
    schema: z.coerce.number().int('must be an integer').min(1000).max(600_000),
  },
  keyRotationDays: {
    env: 'TESSERA_KEY_ROTATION_DAYS',
    doc: 'Rotate the signing key after this many days (the next key is published a day before it signs; the old one stays published until its last token expires); 0: only by POST /admin/keys/rotate.',
    default: '90',
    schema: z.coerce.number({ message: 'must be a number of days' }).min(0, 'must be 0 or more').max(3650),
  },
  auditRetentionDays: {
    env: 'TESSERA_AUDIT_RETENTION_DAYS',
    doc: 'Audit log entries (GET /admin/audit) older than this many days are purged, hourly; 0 keeps them for ever.',
    default: '90',
    schema: z.coerce
      .number({ message: 'must be a number of days' })
      .int('must be an integer')
      .min(0, 'must be 0 or more')
      .max(36_500),
  },
  tokenRateLimit: {
    env: 'TESSERA_TOKEN_RATE_LIMIT',
    doc: 'Token requests per client per minute, for clients without their own `token_rate_limit`; 0: unlimited.',
    default: '0',
    schema: z.coerce.number().int('must be an integer').min(0).max(10_000_000),
  },
  authFailuresPerAddress: {
    env: 'TESSERA_AUTH_FAILURES_PER_ADDRESS',
    doc: 'Failed client authentications per source address per minute, and wrong admin keys apart; past it, further failures answer 429 (correct credentials still work). Loopback addresses are exempt: behind a local proxy, set TESSERA_TRUST_PROXY.',
    default: '600',
    schema: z.coerce.number().int('must be an integer').min(1).max(10_000_000),
  },
  authFailuresPerClient: {
    env: 'TESSERA_AUTH_FAILURES_PER_CLIENT',
    doc: 'Failed authentications per client id per minute; past it, further failures answer 429 (correct credentials still work).',
    default: '300',
    schema: z.coerce.number().int('must be an integer').min(1).max(10_000_000),
  },
  dpopNonce: {
    env: 'TESSERA_DPOP_NONCE',
    doc: '`off`, or `required`: the token endpoint then answers a DPoP proof without a fresh server nonce with `use_dpop_nonce` and a `DPoP-Nonce` header (RFC 9449 §8). Nonces are an HMAC of a one-minute window under a key derived from the encryption key: every node with the same key accepts them, with no shared state. See docs/security.md.',
    default: 'off',
    schema: z.enum(['off', 'required'], { message: 'must be off or required' }),
  },
  console: {
    env: 'TESSERA_CONSOLE',
    doc: 'Serve the admin console at /console/ and accept its session cookie on the admin API (`true` or `false`). See docs/console.md.',
    default: 'true',
    schema: z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true'),
  },
  metrics: {
    env: 'TESSERA_METRICS',
    doc: 'Collect Prometheus metrics (`true` or `false`). `false` removes their cost from every request: no /metrics route, no metrics port.',
    default: 'true',
    schema: z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true'),
  },
  metricsPort: {
    env: 'TESSERA_METRICS_PORT',
    doc: 'Serve Prometheus metrics on this separate port, without authentication (bind it privately). Unset: GET /metrics on the main port, behind the admin key.',
    default: undefined,
    schema: port.optional(),
  },
  statusLists: {
    env: 'TESSERA_STATUS_LISTS',
    doc: 'Status lists for JWT access tokens (draft-ietf-oauth-status-list; `true` or `false`): each JWT carries a `status` claim, revocation sets its bit, and discovery names the `status_list_events_endpoint` stream. See docs/protocol.md.',
    default: 'true',
    schema: z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true'),
  },
  statusEventsMaxSubscribers: {
    env: 'TESSERA_STATUS_EVENTS_MAX_SUBSCRIBERS',
    doc: 'Status list event streams one server process keeps open at once; one more is answered 503.',
    default: '10000',
    schema: z.coerce.number().int('must be an integer').min(1).max(1_000_000),
  },
  metricsHost: {
    env: 'TESSERA_METRICS_HOST',
    doc: 'Address the separate metrics port binds.',
    default: '127.0.0.1',
    schema: z.string().min(1, 'must not be empty'),
  },
} as const;

import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import { z } from 'zod';
import { AUTH_METHOD_NAMES, authMethod } from '../client-auth/registry.js';
import { InvalidClientMetadata } from '../errors/index.js';
import { GRANT_TYPES } from '../grants/registry.js';
import { REGISTERED_CLAIMS } from '../tokens/jwt-claims.js';
import type { ClientMetadata } from './client.js';

/** Longest access token lifetime a client may have: 30 days. */
export const MAX_ACCESS_TOKEN_TTL = 30 * 24 * 3600;

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
// RFC 6749 Appendix A: client_id is VSCHAR; we also refuse space to keep ids shell- and URL-friendly.
const CLIENT_ID = /^[\x21-\x7E]{1,128}$/;

/** Whether `id` could be a client id at all: anything else is unknown without asking the store. */
export function isClientId(id: string): boolean {
  return CLIENT_ID.test(id);
}
// Printable text: audiences end up in JWT `aud` and in verifier configuration.
const PRINTABLE = /^[^\x00-\x1F\x7F]+$/;
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

const scope = z
  .string()
  .max(8192)
  .transform((s, ctx) => {
    const tokens = [...new Set(s.split(' ').filter(Boolean))];
    for (const t of tokens) {
      if (!SCOPE_TOKEN.test(t)) {
        ctx.addIssue({
          code: 'custom',
          message: `scope: "${t.slice(0, 40)}" is not a valid scope token (RFC 6749 §3.3)`,
        });
        return z.NEVER;
      }
    }
    if (tokens.length > 500) ctx.addIssue({ code: 'custom', message: 'scope: at most 500 scopes' });
    return tokens.join(' ');
  });

const audience = z
  .array(z.string().min(1).max(512).regex(PRINTABLE, 'must be printable text'))
  .max(100)
  .transform((a) => [...new Set(a)]);

const jwk = z.record(z.string(), z.unknown()).superRefine((key, ctx) => {
  if (PRIVATE_JWK_MEMBERS.some((m) => m in key)) {
    ctx.addIssue({ code: 'custom', message: 'jwks: keys must be public (no private members)' });
    return;
  }
  if (key.kty !== 'RSA' && key.kty !== 'EC' && key.kty !== 'OKP') {
    ctx.addIssue({ code: 'custom', message: 'jwks: kty must be RSA, EC or OKP' });
    return;
  }
  try {
    createPublicKey({ key: key as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch {
    ctx.addIssue({ code: 'custom', message: 'jwks: a key could not be read as a public key' });
  }
});

const jwksUri = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s);
      if (u.hash || u.username || u.password) return false;
      // SSRF stance: https only, except loopback over http for local development.
      return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopback(u.hostname));
    } catch {
      return false;
    }
  }, 'jwks_uri: must be an https URL (http only for loopback hosts)');

const claims = z.record(z.string().min(1).max(128), z.unknown()).superRefine((c, ctx) => {
  const names = Object.keys(c);
  const registered = names.filter((n) => REGISTERED_CLAIMS.has(n));
  if (registered.length > 0) {
    ctx.addIssue({ code: 'custom', message: `claims: registered claims cannot be set: ${registered.join(', ')}` });
  }
  if (names.length > 50 || JSON.stringify(c).length > 4096) {
    ctx.addIssue({ code: 'custom', message: 'claims: at most 50 claims and 4096 bytes of JSON' });
  }
});

/** Every field a client may send; all optional so the same shape serves create and PATCH. */
const fields = {
  client_name: z.string().max(200).regex(PRINTABLE, 'must be printable text').optional(),
  scope: scope.optional(),
  audience: audience.optional(),
  grant_types: z
    .array(z.enum(GRANT_TYPES, { message: `grant_types: each must be one of ${GRANT_TYPES.join(', ')}` }))
    .transform((g) => [...new Set(g)])
    .optional(),
  token_endpoint_auth_method: z
    .enum(AUTH_METHOD_NAMES, {
      message: `token_endpoint_auth_method: must be one of ${AUTH_METHOD_NAMES.join(', ')}`,
    })
    .optional(),
  jwks: z.object({ keys: z.array(jwk).min(1).max(20) }).optional(),
  jwks_uri: jwksUri.optional(),
  access_token_ttl: z
    .number()
    .int('access_token_ttl: must be an integer number of seconds')
    .min(1)
    .max(MAX_ACCESS_TOKEN_TTL)
    .optional(),
  access_token_format: z.enum(['jwt', 'opaque'], { message: 'access_token_format: must be jwt or opaque' }).optional(),
  claims: claims.optional(),
  token_rate_limit: z
    .number()
    .int('token_rate_limit: an integer number of token requests per minute (0: unlimited)')
    .min(0)
    .max(10_000_000)
    .optional(),
};

const createSchema = z.object({
  ...fields,
  client_id: z.string().regex(CLIENT_ID, 'client_id: 1 to 128 printable ASCII characters, no spaces').optional(),
  // Importing an existing secret (migrating from another server) is allowed,
  // but only one strong enough to be stored with a fast hash.
  client_secret: z.string().min(32, 'client_secret: at least 32 characters').max(512).optional(),
});
// RFC 7591 §2: metadata the server does not understand is ignored, not refused.
const patchSchema = z.object(fields);

export type CreateClientInput = z.output<typeof createSchema>;
export type ClientPatch = z.output<typeof patchSchema>;

export const DEFAULT_METADATA: Readonly<ClientMetadata> = Object.freeze<ClientMetadata>({
  scope: '',
  audience: [],
  grant_types: ['client_credentials'],
  token_endpoint_auth_method: 'client_secret_basic',
  access_token_ttl: 3600,
  access_token_format: 'jwt',
  claims: {},
});

export function parseCreate(body: unknown): { input: CreateClientInput; metadata: ClientMetadata } {
  const input = parse(createSchema, body);
  const { client_id: _id, client_secret: _secret, ...given } = input;
  const metadata = checkConsistency(withoutUndefined({ ...DEFAULT_METADATA, ...given }) as ClientMetadata);
  if (input.client_secret && !usesSecret(metadata)) {
    throw new InvalidClientMetadata('client_secret: this client authenticates without a secret');
  }
  return { input, metadata };
}

export function applyPatch(current: ClientMetadata, body: unknown): ClientMetadata {
  const patch = parse(patchSchema, body);
  const next = { ...current, ...patch } as ClientMetadata;
  // Leaving private_key_jwt drops its keys; a fresh jwks replaces a jwks_uri and vice versa.
  if (patch.jwks) delete next.jwks_uri;
  if (patch.jwks_uri) delete next.jwks;
  if (!usesKeys(next) && !patch.jwks && !patch.jwks_uri) {
    delete next.jwks;
    delete next.jwks_uri;
  }
  return checkConsistency(withoutUndefined(next) as ClientMetadata);
}

export function usesSecret(m: ClientMetadata): boolean {
  return authMethod(m.token_endpoint_auth_method)?.secret !== 'none';
}

/** Whether the client's method verifies its proofs with keys from `jwks` or `jwks_uri`. */
function usesKeys(m: ClientMetadata): boolean {
  return authMethod(m.token_endpoint_auth_method)?.keys === true;
}

function checkConsistency(m: ClientMetadata): ClientMetadata {
  if (m.jwks && m.jwks_uri) throw new InvalidClientMetadata('jwks and jwks_uri are mutually exclusive');
  const hasKeys = Boolean(m.jwks || m.jwks_uri);
  if (usesKeys(m) && !hasKeys) {
    throw new InvalidClientMetadata(`${m.token_endpoint_auth_method} requires jwks or jwks_uri`);
  }
  if (!usesKeys(m) && hasKeys) {
    throw new InvalidClientMetadata('jwks and jwks_uri are only used with private_key_jwt');
  }
  return m;
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidClientMetadata('the body must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    const message = issue?.message ?? 'invalid metadata';
    throw new InvalidClientMetadata(message.includes(':') || !path ? message : `${path}: ${message}`);
  }
  return result.data;
}

function withoutUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export type { JWK };

import { z } from 'zod';
import { isLoopback, jwks, PRINTABLE, printableText, wireText } from '../clients/metadata-values.js';
import { InvalidClientMetadata } from '../errors/index.js';
import type { TrustedIssuerConfig } from './trusted-issuer.js';

/** Default and bounds of `max_token_lifetime`, seconds. */
export const DEFAULT_MAX_TOKEN_LIFETIME = 3600;
export const MAX_MAX_TOKEN_LIFETIME = 7 * 24 * 3600;

/** SPIFFE trust domain names: lowercase letters, digits, dots, dashes and underscores. */
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;

/**
 * An https URL (plain http only for loopback hosts), as for a client's
 * jwks_uri: what Tessera fetches is named only through the admin API, and
 * never over plain http to another host (docs/security.md, the SSRF stance).
 */
function fetchableUrl(field: string, { query }: { query: boolean }) {
  return z
    .string({ message: `${field}: must be a URL` })
    .max(2048, `${field}: at most 2048 characters`)
    .refine(
      (s) => {
        try {
          const u = new URL(s);
          if (u.hash || u.username || u.password || (!query && u.search)) return false;
          return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopback(u.hostname));
        } catch {
          return false;
        }
      },
      `${field}: must be an https URL (http only for loopback hosts)${query ? '' : ', without query or fragment'}`,
    );
}

const LIFETIME_MESSAGE = `max_token_lifetime: an integer number of seconds from 1 to ${MAX_MAX_TOKEN_LIFETIME}`;

/** Every field as the admin API takes it; `null` in a PATCH removes an optional one. */
const FIELDS = {
  // OpenID Connect Discovery §3: an issuer has no query or fragment.
  issuer: fetchableUrl('issuer', { query: false }),
  kind: z.enum(['oidc', 'spiffe'], { message: 'kind: oidc or spiffe' }),
  jwks_uri: fetchableUrl('jwks_uri', { query: true }),
  jwks,
  audience: printableText(512),
  max_token_lifetime: z
    .number({ message: LIFETIME_MESSAGE })
    .int(LIFETIME_MESSAGE)
    .min(1, LIFETIME_MESSAGE)
    .max(MAX_MAX_TOKEN_LIFETIME, LIFETIME_MESSAGE),
  trust_domain: z
    .string({ message: 'trust_domain: a SPIFFE trust domain name' })
    .regex(TRUST_DOMAIN, 'trust_domain: lowercase letters, digits, dots, dashes and underscores'),
  description: z
    .string()
    .max(200, 'description: at most 200 characters')
    .regex(PRINTABLE, 'description: printable text'),
};

type Fields = typeof FIELDS;
const OPTIONAL = ['jwks_uri', 'jwks', 'audience', 'trust_domain', 'description'] as const;

const createSchema = z.object({
  issuer: FIELDS.issuer,
  kind: FIELDS.kind.optional(),
  jwks_uri: FIELDS.jwks_uri.optional(),
  jwks: FIELDS.jwks.optional(),
  audience: FIELDS.audience.optional(),
  max_token_lifetime: FIELDS.max_token_lifetime.optional(),
  trust_domain: FIELDS.trust_domain.optional(),
  description: FIELDS.description.optional(),
});

const patchSchema = z.object({
  issuer: FIELDS.issuer.optional(),
  kind: FIELDS.kind.optional(),
  jwks_uri: FIELDS.jwks_uri.nullable().optional(),
  jwks: FIELDS.jwks.nullable().optional(),
  audience: FIELDS.audience.nullable().optional(),
  max_token_lifetime: FIELDS.max_token_lifetime.optional(),
  trust_domain: FIELDS.trust_domain.nullable().optional(),
  description: FIELDS.description.nullable().optional(),
});

/** The input schemas, for the OpenAPI document. */
export const TRUSTED_ISSUER_SCHEMAS = { create: createSchema, patch: patchSchema, fields: FIELDS as Fields };

export function parseTrustedIssuerCreate(body: unknown): TrustedIssuerConfig {
  const input = parse(createSchema, body);
  return checkConsistency(
    withoutUndefined({
      issuer: input.issuer,
      kind: input.kind ?? 'oidc',
      jwks_uri: input.jwks_uri,
      jwks: input.jwks,
      audience: input.audience,
      max_token_lifetime: input.max_token_lifetime ?? DEFAULT_MAX_TOKEN_LIFETIME,
      trust_domain: input.trust_domain,
      description: input.description,
    }),
  );
}

export function applyTrustedIssuerPatch(current: TrustedIssuerConfig, body: unknown): TrustedIssuerConfig {
  const patch = parse(patchSchema, body);
  const next: Record<string, unknown> = { ...current };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete next[name];
    else if (value !== undefined) next[name] = value;
  }
  // Keys come from one place: inline keys replace a jwks_uri, and the other way round.
  if (patch.jwks) delete next.jwks_uri;
  if (patch.jwks_uri) delete next.jwks;
  if (next.kind !== 'spiffe' && patch.trust_domain === undefined) delete next.trust_domain;
  return checkConsistency(next as unknown as TrustedIssuerConfig);
}

function checkConsistency(c: TrustedIssuerConfig): TrustedIssuerConfig {
  if (c.jwks && c.jwks_uri) throw new InvalidClientMetadata('jwks and jwks_uri are mutually exclusive');
  if (c.trust_domain !== undefined && c.kind !== 'spiffe') {
    throw new InvalidClientMetadata('trust_domain: only for kind spiffe');
  }
  return c;
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidClientMetadata('the body must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    const message = issue?.message ?? 'invalid trusted issuer';
    throw new InvalidClientMetadata(message.includes(':') || !path ? message : `${wireText(path)}: ${message}`);
  }
  return result.data;
}

function withoutUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export { OPTIONAL as OPTIONAL_TRUSTED_ISSUER_FIELDS };

import { z } from 'zod';
import { AUTH_METHOD_NAMES } from '../client-auth/registry.js';
import { FEDERATED_IDENTITIES_JSON_SCHEMA, federatedIdentities } from '../federation/federated-identities.js';
import { GRANT_TYPES } from '../grants/registry.js';
import type { TokenFormat } from '../tokens/granted-token.js';
import { REGISTERED_CLAIMS } from '../tokens/jwt-claims.js';
import { CLIENT_ID_PATTERN } from './client-id.js';
import type { JsonSchema } from './json-schema.js';
import { audience, claims, JWKS_JSON_SCHEMA, jwks, jwksUri, printableText, scope } from './metadata-values.js';
import { sanDns, sanEmail, sanIp, sanUri, subjectDn } from './tls-metadata-values.js';

/** Longest access token lifetime a client may have: 30 days. */
export const MAX_ACCESS_TOKEN_TTL = 30 * 24 * 3600;

/**
 * Token exchange (RFC 8693): how many actors an exchanged token may name
 * (`act` nesting) when the client does not say, and the most it may say.
 * The cap keeps every token, with its chain of ancestors, small.
 */
export const DEFAULT_EXCHANGE_DEPTH = 5;
export const MAX_EXCHANGE_DEPTH = 10;
const SUBJECTS_MESSAGE = 'token_exchange_subject_clients: a list of at most 100 client_ids';
const DEPTH_MESSAGE = `token_exchange_max_depth: an integer from 1 to ${MAX_EXCHANGE_DEPTH}`;

/**
 * `always`: every client has the field (it has a default) and the admin view
 * always shows it; `when-set`: optional, shown only when the client has it.
 */
export type ViewPresence = 'always' | 'when-set';

/** One client metadata field (RFC 7591 names): everything the server says and checks about it. */
export type MetadataField<S extends z.ZodType = z.ZodType, V extends ViewPresence = ViewPresence> = {
  /** Validates and normalises what the admin API receives, at registration and in a PATCH. */
  readonly schema: S;
  readonly description: string;
  /** Its JSON Schema where z.toJSONSchema cannot say it (checks in code, a richer shape); else derived. */
  readonly jsonSchema?: JsonSchema;
  readonly view: V;
} & (V extends 'always' ? { readonly default: z.output<S> } : { readonly default?: never });

// The registries' name types are inferred from the grants and methods, which
// read client metadata: typing these fields by them would be circular, so
// they are strings here and the registries check the values.
const GRANT_NAMES = GRANT_TYPES as readonly string[];
const AUTH_METHOD_NAME_LIST = AUTH_METHOD_NAMES as readonly string[];

/** Checks each entry on its own (the default against its schema), keeping its literal types. */
function field<S extends z.ZodType, V extends ViewPresence>(f: MetadataField<S, V>): MetadataField<S, V> {
  return f;
}

/**
 * THE client metadata: validation at registration and in a PATCH
 * (client-metadata.ts), the stored type (ClientMetadata below), the admin
 * view (admin/client-view.ts), the admin routes' response schemas and the
 * OpenAPI document (admin/client-schemas.ts) all derive from this table. A
 * new metadata field is one entry here.
 */
export const METADATA_FIELDS = {
  client_name: field({ schema: printableText(200), description: 'Human name.', view: 'when-set' }),
  scope: field({
    schema: scope,
    description: 'Allowed scopes, space-delimited (RFC 6749 §3.3 tokens).',
    view: 'always',
    default: '',
  }),
  audience: field({ schema: audience, description: 'Allowed audiences.', view: 'always', default: [] }),
  grant_types: field({
    schema: z
      .array(z.enum(GRANT_NAMES, { message: `grant_types: each must be one of ${GRANT_NAMES.join(', ')}` }))
      .transform((g) => [...new Set(g)]),
    description: '`["client_credentials"]`, or `[]` for a resource server that only introspects.',
    view: 'always',
    default: ['client_credentials'],
  }),
  token_endpoint_auth_method: field({
    schema: z.enum(AUTH_METHOD_NAME_LIST, {
      message: `token_endpoint_auth_method: must be one of ${AUTH_METHOD_NAME_LIST.join(', ')}`,
    }),
    description: 'How the client authenticates at the token endpoint.',
    view: 'always',
    default: 'client_secret_basic',
  }),
  jwks: field({
    schema: jwks,
    description:
      'The public keys of a client that signs its assertions (private_key_jwt) or presents a self-signed certificate (self_signed_tls_client_auth).',
    jsonSchema: JWKS_JSON_SCHEMA,
    view: 'when-set',
  }),
  jwks_uri: field({
    schema: jwksUri,
    description: 'Where the client serves its public keys: https only (plain http only for loopback hosts).',
    jsonSchema: { type: 'string', format: 'uri', maxLength: 2048 },
    view: 'when-set',
  }),
  access_token_ttl: field({
    schema: z.number().int('access_token_ttl: must be an integer number of seconds').min(1).max(MAX_ACCESS_TOKEN_TTL),
    description: 'Token lifetime, seconds.',
    view: 'always',
    default: 3600,
  }),
  access_token_format: field({
    schema: z.enum(['jwt', 'opaque'] satisfies TokenFormat[], {
      message: 'access_token_format: must be jwt or opaque',
    }),
    description: 'jwt (RFC 9068), or opaque: a reference token checked by introspection.',
    view: 'always',
    default: 'jwt',
  }),
  claims: field({
    schema: claims,
    description: `Extra claims put in every token. Registered claims are refused: ${[...REGISTERED_CLAIMS].join(', ')}.`,
    jsonSchema: { type: 'object', maxProperties: 50, additionalProperties: true },
    view: 'always',
    default: {},
  }),
  dpop_bound_access_tokens: field({
    schema: z.boolean({ message: 'dpop_bound_access_tokens: must be true or false' }),
    description:
      'RFC 9449 §5.2: true, and every token request must carry a DPoP proof (its tokens are all DPoP-bound). Absent: false.',
    view: 'when-set',
  }),
  token_rate_limit: field({
    schema: z
      .number()
      .int('token_rate_limit: an integer number of token requests per minute (0: unlimited)')
      .min(0)
      .max(10_000_000),
    description: 'Token requests per minute (0: unlimited). Absent: the server default, TESSERA_TOKEN_RATE_LIMIT.',
    view: 'when-set',
  }),
  // RFC 8705 §2.1.2: exactly one of the five names a tls_client_auth client's certificate.
  tls_client_auth_subject_dn: field({
    schema: subjectDn,
    description:
      'tls_client_auth: the certificate subject, an RFC 4514 string (compared per RFC 4517: types by OID, common string values without case or extra spaces).',
    jsonSchema: { type: 'string', minLength: 1, maxLength: 1024 },
    view: 'when-set',
  }),
  tls_client_auth_san_dns: field({
    schema: sanDns,
    description: 'tls_client_auth: a dNSName SAN the certificate must have (no case).',
    view: 'when-set',
  }),
  tls_client_auth_san_uri: field({
    schema: sanUri,
    description: 'tls_client_auth: a uniformResourceIdentifier SAN the certificate must have (exactly).',
    jsonSchema: { type: 'string', format: 'uri', maxLength: 2048 },
    view: 'when-set',
  }),
  tls_client_auth_san_ip: field({
    schema: sanIp,
    description: 'tls_client_auth: an iPAddress SAN the certificate must have (IPv4 or IPv6).',
    jsonSchema: { type: 'string', maxLength: 64 },
    view: 'when-set',
  }),
  tls_client_auth_san_email: field({
    schema: sanEmail,
    description: 'tls_client_auth: an rfc822Name SAN the certificate must have.',
    jsonSchema: { type: 'string', maxLength: 320 },
    view: 'when-set',
  }),
  token_exchange_subject_clients: field({
    schema: z
      .array(z.string({ message: SUBJECTS_MESSAGE }).regex(new RegExp(CLIENT_ID_PATTERN), SUBJECTS_MESSAGE), {
        message: SUBJECTS_MESSAGE,
      })
      .max(100, SUBJECTS_MESSAGE)
      .transform((c) => [...new Set(c)]),
    description:
      "Token exchange (RFC 8693): the clients whose tokens this client may exchange (the subject token's client_id). Absent: any.",
    view: 'when-set',
  }),
  token_exchange_max_depth: field({
    schema: z.number().int(DEPTH_MESSAGE).min(1, DEPTH_MESSAGE).max(MAX_EXCHANGE_DEPTH, DEPTH_MESSAGE),
    description: `Token exchange (RFC 8693): how many actors the exchanged token's act chain may name, this client included (1: only tokens that were never exchanged). Absent: ${DEFAULT_EXCHANGE_DEPTH}.`,
    view: 'when-set',
  }),
  federated_identities: field({
    schema: federatedIdentities,
    description:
      'federated_jwt: the platform identities this client accepts, each a trusted issuer (exactly its `iss`), the exact `sub`, and optionally claims that must match exactly. One identity may be accepted by several clients: the token request then names its client_id.',
    jsonSchema: FEDERATED_IDENTITIES_JSON_SCHEMA,
    view: 'when-set',
  }),
  tls_client_certificate_bound_access_tokens: field({
    schema: z.boolean({ message: 'tls_client_certificate_bound_access_tokens: must be true or false' }),
    description:
      'RFC 8705 §3: tokens carry cnf x5t#S256 of the TLS client certificate; the client must present one at the token endpoint.',
    view: 'when-set',
  }),
};

type Fields = typeof METADATA_FIELDS;
export type MetadataName = keyof Fields;
type Value<K extends MetadataName> = z.output<Fields[K]['schema']>;
type Always = { [K in MetadataName]: Fields[K]['view'] extends 'always' ? K : never }[MetadataName];

/** Client metadata as stored and used: every `always` field present, the others optional. */
export type ClientMetadata = { [K in Always]: Value<K> } & {
  [K in Exclude<MetadataName, Always>]?: Value<K> | undefined;
};

export const METADATA_NAMES = Object.keys(METADATA_FIELDS) as MetadataName[];

/** The metadata a client gets for every field it did not send, as a fresh copy (defaults are never shared). */
export function defaultMetadata(): Partial<ClientMetadata> {
  const out: Record<string, unknown> = {};
  for (const name of METADATA_NAMES) {
    const f: { readonly default?: unknown } = METADATA_FIELDS[name];
    if (f.default !== undefined) out[name] = structuredClone(f.default);
  }
  return out as Partial<ClientMetadata>;
}

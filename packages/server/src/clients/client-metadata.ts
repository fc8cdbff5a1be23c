import { z } from 'zod';
import { authMethod } from '../client-auth/registry.js';
import { TLS_IDENTITY_FIELDS } from '../client-auth/tls-client-auth.js';
import { InvalidClientMetadata } from '../errors/index.js';
import type { ClientMetadata } from './client.js';
import { CLIENT_ID_PATTERN } from './client-id.js';
import { defaultMetadata, METADATA_FIELDS, type MetadataName } from './metadata-fields.js';
import { checkSecretStrength } from './secret-strength.js';

export { isClientId } from './client-id.js';
export { MAX_ACCESS_TOKEN_TTL } from './metadata-fields.js';

type Optional<T extends Record<string, { schema: z.ZodType }>> = { [K in keyof T]: z.ZodOptional<T[K]['schema']> };

/** Every metadata field, optional: the same shape serves registration and PATCH. */
const fields = Object.fromEntries(
  Object.entries(METADATA_FIELDS).map(([name, f]) => [name, f.schema.optional()]),
) as Optional<typeof METADATA_FIELDS>;

/** Fields only registration takes: they are not metadata, and a PATCH cannot change them. */
export const REGISTRATION_FIELDS = {
  client_id: z
    .string()
    .regex(new RegExp(CLIENT_ID_PATTERN), 'client_id: 1 to 128 printable ASCII characters (spaces allowed)'),
  // Importing an existing secret (migrating from another server) is allowed,
  // but only one strong enough to be stored with a fast hash: long enough
  // here, unpredictable enough in secret-strength.ts.
  client_secret: z.string().min(32, 'client_secret: at least 32 characters').max(512),
};

const createSchema = z.object({
  ...fields,
  client_id: REGISTRATION_FIELDS.client_id.optional(),
  client_secret: REGISTRATION_FIELDS.client_secret.optional(),
});
// RFC 7591 §2: metadata the server does not understand is ignored, not refused.
const patchSchema = z.object(fields);

export type CreateClientInput = z.output<typeof createSchema>;
export type ClientPatch = z.output<typeof patchSchema>;

export function parseCreate(body: unknown): { input: CreateClientInput; metadata: ClientMetadata } {
  const input = parse(createSchema, body);
  const metadata = checkConsistency(withoutUndefined({ ...defaultMetadata(), ...metadataOf(input) }) as ClientMetadata);
  if (input.client_secret !== undefined) {
    if (!usesSecret(metadata))
      throw new InvalidClientMetadata('client_secret: this client authenticates without a secret');
    checkSecretStrength(input.client_secret);
  }
  return { input, metadata };
}

export function applyPatch(current: ClientMetadata, body: unknown): ClientMetadata {
  const patch = metadataOf(parse(patchSchema, body));
  const next = { ...current, ...patch } as ClientMetadata;
  // Leaving a key-based method drops its keys; a fresh jwks replaces a jwks_uri and vice versa.
  if (patch.jwks) delete next.jwks_uri;
  if (patch.jwks_uri) delete next.jwks;
  if (!usesKeys(next) && !patch.jwks && !patch.jwks_uri) {
    delete next.jwks;
    delete next.jwks_uri;
  }
  // The certificate's name likewise: a new one replaces the old, and leaving tls_client_auth drops it.
  const newIdentity = TLS_IDENTITY_FIELDS.some((f) => patch[f] !== undefined);
  for (const f of TLS_IDENTITY_FIELDS) {
    if (patch[f] === undefined && (newIdentity || next.token_endpoint_auth_method !== 'tls_client_auth'))
      delete next[f];
  }
  // Leaving federated_jwt drops the identities it accepted, as leaving tls_client_auth drops the name.
  if (patch.federated_identities === undefined && next.token_endpoint_auth_method !== 'federated_jwt') {
    delete next.federated_identities;
  }
  return checkConsistency(withoutUndefined(next) as ClientMetadata);
}

/** Only the table's fields: whatever else a schema let through is not metadata. */
function metadataOf(input: Record<string, unknown>): Partial<ClientMetadata> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(METADATA_FIELDS) as MetadataName[]) {
    if (input[name] !== undefined) out[name] = input[name];
  }
  return out as Partial<ClientMetadata>;
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
    throw new InvalidClientMetadata('jwks and jwks_uri are only used with methods that verify keys');
  }
  const identities = TLS_IDENTITY_FIELDS.filter((f) => m[f] !== undefined).length;
  if (m.token_endpoint_auth_method === 'tls_client_auth' && identities !== 1) {
    throw new InvalidClientMetadata(`tls_client_auth requires exactly one of ${TLS_IDENTITY_FIELDS.join(', ')}`);
  }
  if (m.token_endpoint_auth_method !== 'tls_client_auth' && identities > 0) {
    throw new InvalidClientMetadata(
      'tls_client_auth_subject_dn and tls_client_auth_san_* are only used with tls_client_auth',
    );
  }
  const federated = m.token_endpoint_auth_method === 'federated_jwt';
  if (federated && !m.federated_identities) {
    throw new InvalidClientMetadata('federated_jwt requires federated_identities');
  }
  if (!federated && m.federated_identities) {
    throw new InvalidClientMetadata('federated_identities are only used with federated_jwt');
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

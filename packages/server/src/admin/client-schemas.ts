import { z } from 'zod';
import { REGISTRATION_FIELDS } from '../clients/client-metadata.js';
import type { JsonSchema } from '../clients/json-schema.js';
import { METADATA_FIELDS, METADATA_NAMES, type MetadataField, type MetadataName } from '../clients/metadata-fields.js';

/**
 * The JSON Schemas of a client on the wire, all derived from the one table
 * (clients/metadata-fields.ts): the OpenAPI document's ClientMetadata, Client
 * and friends, and the response schemas of the admin routes, which make
 * Fastify serialise only the listed fields.
 */

/** zod's JSON Schema of what a caller may send (the input side of its transforms), without the dialect line. */
function fromZod(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' });
  return rest;
}

function fieldSchema(f: MetadataField): JsonSchema {
  return { ...(f.jsonSchema ?? fromZod(f.schema)), description: f.description };
}

function mapFields<T>(make: (f: MetadataField, name: MetadataName) => T): Record<MetadataName, T> {
  return Object.fromEntries(METADATA_NAMES.map((n) => [n, make(METADATA_FIELDS[n] as MetadataField, n)])) as Record<
    MetadataName,
    T
  >;
}

/** Every metadata field, as a caller sends it (registration and PATCH). */
export const METADATA_PROPERTIES: Readonly<Record<MetadataName, JsonSchema>> = mapFields(fieldSchema);

/** The same, with the value registration gives a field left out. */
export const METADATA_PROPERTIES_WITH_DEFAULTS: Readonly<Record<MetadataName, JsonSchema>> = mapFields((f) =>
  f.default === undefined ? fieldSchema(f) : { ...fieldSchema(f), default: f.default },
);

/** The fields every client has: the admin view always shows them. */
const ALWAYS: readonly MetadataName[] = METADATA_NAMES.filter((n) => METADATA_FIELDS[n].view === 'always');

export const REGISTRATION_PROPERTIES = {
  client_id: {
    ...fromZod(REGISTRATION_FIELDS.client_id),
    description: 'Chosen id: 1 to 128 printable ASCII characters, spaces allowed (RFC 6749 VSCHAR); default a UUID.',
  },
  client_secret: {
    ...fromZod(REGISTRATION_FIELDS.client_secret),
    description:
      'Import an existing secret (migration): at least 72 bits of entropy by a conservative estimate (runs, sequences and repeats are refused; 32 random hex characters pass); default a generated one.',
  },
} as const;

/** Every field of a client as the admin API shows it (admin/client-view.ts): never a hash. */
export const CLIENT_PROPERTIES: Readonly<Record<string, JsonSchema>> = {
  client_id: { type: 'string', minLength: 1, maxLength: 128 },
  ...METADATA_PROPERTIES,
  client_id_issued_at: { type: 'integer', description: 'Seconds since the epoch.' },
  updated_at: { type: 'integer', description: 'Seconds since the epoch.' },
};

export const CLIENT_REQUIRED: readonly string[] = ['client_id', ...ALWAYS, 'client_id_issued_at', 'updated_at'];

/** Shown once: at registration, at a rotation, and when a change needs a new secret. */
export const SECRET_PROPERTIES = {
  client_secret: { type: 'string', minLength: 32, description: 'Shown this once; only a keyed hash is stored.' },
  client_secret_expires_at: { const: 0, description: 'RFC 7591: 0, the secret does not expire by itself.' },
} as const;

/** A client, for Fastify's serialiser: only these fields can reach the wire. */
export const CLIENT_RESPONSE: JsonSchema = {
  type: 'object',
  required: CLIENT_REQUIRED,
  properties: CLIENT_PROPERTIES,
  additionalProperties: false,
};

/** A client that may carry its new secret (registration, PATCH, rotation). */
export const CLIENT_WITH_SECRET_RESPONSE: JsonSchema = {
  ...CLIENT_RESPONSE,
  properties: { ...CLIENT_PROPERTIES, ...SECRET_PROPERTIES },
};

export const NEXT_CURSOR = {
  type: ['string', 'null'],
  description: 'Pass as `cursor` for the next page; null at the end.',
} as const;

export const CLIENT_LIST_RESPONSE: JsonSchema = {
  type: 'object',
  required: ['items', 'next_cursor'],
  properties: {
    items: { type: 'array', items: CLIENT_RESPONSE },
    next_cursor: NEXT_CURSOR,
  },
  additionalProperties: false,
};

import type { JsonSchema } from '../clients/json-schema.js';
import { ACTIVITY_RESPONSE, AUDIT_ENTRY } from './audit-schemas.js';
import {
  CLIENT_REQUIRED,
  CLIENT_RESPONSE,
  CLIENT_WITH_SECRET_RESPONSE,
  METADATA_PROPERTIES,
  METADATA_PROPERTIES_WITH_DEFAULTS,
  NEXT_CURSOR,
  REGISTRATION_PROPERTIES,
} from './client-schemas.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './paging.js';
import { TRUSTED_ISSUER_PATHS, TRUSTED_ISSUER_SCHEMAS, TRUSTED_ISSUER_TAG } from './trusted-issuer-openapi.js';

/**
 * The admin API as an OpenAPI 3.1 document, served at GET /openapi.json.
 * Schemas are JSON Schema 2020-12. test/openapi.test.ts drives every call
 * through the real HTTP interface and validates each answer against this
 * document, and checks every response listed here is one the server really
 * gives, so the two cannot drift apart. Client schemas derive from the
 * metadata table (clients/metadata-fields.ts); other limits are imported from the code
 * that enforces them for the same reason.
 */

export type { JsonSchema } from '../clients/json-schema.js';

export interface OpenApiResponse {
  readonly description: string;
  readonly headers?: Readonly<Record<string, { readonly description: string; readonly schema: JsonSchema }>>;
  readonly content?: Readonly<Record<string, { readonly schema: JsonSchema }>>;
}

// A type alias, not an interface: a $ref may stand wherever a schema may.
export type OpenApiRef = { readonly $ref: string };

export interface OpenApiOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly parameters?: readonly (OpenApiRef | JsonSchema)[];
  readonly requestBody?: {
    readonly required: boolean;
    readonly content: Readonly<Record<string, { readonly schema: JsonSchema }>>;
  };
  readonly responses: Readonly<Record<string, OpenApiResponse | OpenApiRef>>;
}

export type HttpMethod = 'get' | 'post' | 'patch' | 'delete';

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly servers: readonly { readonly url: string; readonly description: string }[];
  readonly security: readonly Readonly<Record<string, readonly string[]>>[];
  readonly tags: readonly { readonly name: string; readonly description: string }[];
  readonly paths: Readonly<Record<string, Partial<Record<HttpMethod, OpenApiOperation>>>>;
  readonly components: {
    readonly securitySchemes: Readonly<Record<string, JsonSchema>>;
    readonly parameters: Readonly<Record<string, JsonSchema>>;
    readonly schemas: Readonly<Record<string, JsonSchema>>;
    readonly responses: Readonly<Record<string, OpenApiResponse>>;
  };
}

const ref = (kind: 'schemas' | 'responses' | 'parameters', name: string): OpenApiRef => ({
  $ref: `#/components/${kind}/${name}`,
});
const jsonContent = (schema: JsonSchema) => ({ 'application/json': { schema } });
const MAX_SECRET_TTL = 30 * 24 * 3600;

/** An error body whose `error` is one of `codes`. */
function errorResponse(description: string, codes: readonly string[], headers?: OpenApiResponse['headers']) {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: jsonContent({
      type: 'object',
      allOf: [ref('schemas', 'Error')],
      properties: { error: codes.length === 1 ? { const: codes[0] } : { enum: codes } },
    }),
  };
}

// What a published signing key must never carry.
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

const schemas: Record<string, JsonSchema> = {
  Error: {
    type: 'object',
    description: 'RFC 6749 §5.2 / RFC 7591 §3.2.2 error body.',
    required: ['error', 'error_description'],
    properties: { error: { type: 'string' }, error_description: { type: 'string' } },
    additionalProperties: false,
  },
  ClientMetadata: {
    type: 'object',
    description: 'RFC 7591 client metadata, shared by registration and PATCH. Unknown fields are ignored.',
    properties: METADATA_PROPERTIES,
  },
  ClientCreate: {
    type: 'object',
    description:
      'RFC 7591 client metadata (each field as in ClientMetadata, with the default it gets when left out), and the registration fields. A client whose method uses a secret gets a generated one unless one is imported.',
    properties: { ...REGISTRATION_PROPERTIES, ...METADATA_PROPERTIES_WITH_DEFAULTS },
  },
  ClientPatch: {
    type: 'object',
    description:
      'The fields to change; the others keep their values. A change that needs a new secret (switching to client_secret_jwt, or back to a secret method from one without) issues one, shown in the answer; a change to a method without secrets deletes the stored ones.',
    allOf: [ref('schemas', 'ClientMetadata')],
  },
  Client: CLIENT_RESPONSE,
  ClientWithSecret: {
    ...CLIENT_WITH_SECRET_RESPONSE,
    required: [...CLIENT_REQUIRED, 'client_secret', 'client_secret_expires_at'],
  },
  ClientList: {
    type: 'object',
    required: ['items', 'next_cursor'],
    properties: {
      items: { type: 'array', items: ref('schemas', 'Client') },
      next_cursor: NEXT_CURSOR,
    },
    additionalProperties: false,
  },
  RotateSecret: {
    type: 'object',
    properties: {
      previous_secret_ttl: {
        type: 'integer',
        minimum: 0,
        maximum: MAX_SECRET_TTL,
        default: 0,
        description: 'Seconds the previous secrets stay valid; 0 ends them at once.',
      },
    },
  },
  PublicJwk: {
    type: 'object',
    description: 'A public signing key (RFC 7517); never a private member.',
    required: ['kty', 'kid', 'alg', 'use'],
    properties: {
      kty: { enum: ['RSA', 'EC', 'OKP'] },
      kid: { type: 'string', description: 'RFC 7638 thumbprint.' },
      alg: { enum: ['RS256', 'PS256', 'ES256', 'EdDSA'] },
      use: { const: 'sig' },
    },
    propertyNames: { not: { enum: PRIVATE_JWK_MEMBERS } },
  },
  SigningKey: {
    type: 'object',
    allOf: [ref('schemas', 'PublicJwk')],
    required: ['status', 'activates_at', 'retires_at'],
    properties: {
      status: {
        enum: ['signing', 'published', 'retiring'],
        description: 'signing: signs new tokens; retiring: still published until retires_at.',
      },
      activates_at: { type: 'integer', description: 'Seconds since the epoch.' },
      retires_at: { type: ['integer', 'null'], description: 'Leaves the JWKS then; null while current.' },
    },
  },
  AuditEntry: AUDIT_ENTRY,
  AuditPage: {
    type: 'object',
    required: ['items', 'next_cursor'],
    properties: { items: { type: 'array', items: ref('schemas', 'AuditEntry') }, next_cursor: NEXT_CURSOR },
    additionalProperties: false,
  },
  Activity: ACTIVITY_RESPONSE,
  SigningKeyList: {
    type: 'object',
    required: ['items'],
    properties: {
      items: { type: 'array', items: ref('schemas', 'SigningKey') },
      next_rotation_at: {
        type: ['integer', 'null'],
        description:
          'When the signing key next changes (seconds since the epoch): a published next key, or TESSERA_KEY_ROTATION_DAYS; null when keys rotate only by hand.',
      },
    },
    additionalProperties: false,
  },
};

const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'string' } } };

const responses: Record<string, OpenApiResponse> = {
  Unauthorized: errorResponse('The admin key is missing or wrong.', ['invalid_token'], {
    'WWW-Authenticate': { description: 'Bearer realm="tessera-admin"', schema: { type: 'string' } },
  }),
  TooManyWrongKeys: errorResponse(
    'Too many wrong admin keys from this address this minute (TESSERA_AUTH_FAILURES_PER_ADDRESS); the right key is still accepted.',
    ['too_many_requests'],
    retryAfter,
  ),
  NotFound: errorResponse('No such client.', ['not_found']),
  InvalidMetadata: errorResponse('Bad client metadata; nothing was changed.', ['invalid_client_metadata']),
  TooLarge: errorResponse('The body is larger than TESSERA_BODY_LIMIT.', ['invalid_client_metadata']),
  Unavailable: errorResponse(
    'The store (or Redis) does not answer; nothing was changed. Retry.',
    ['temporarily_unavailable'],
    retryAfter,
  ),
};

const clientId = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The client_id (URL-encoded).',
  schema: { type: 'string' },
};

const tags = { clients: ['clients'], keys: ['keys'], audit: ['audit'] } as const;

const pageParameters = [
  {
    name: 'limit',
    in: 'query',
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
  },
  {
    name: 'cursor',
    in: 'query',
    description: 'The `next_cursor` of the previous page.',
    schema: { type: 'string' },
  },
];

export const openapi: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Tessera admin API',
    version: '1',
    description:
      'Clients, signing keys and trusted issuers of a Tessera authorization server. Every call needs `Authorization: Bearer <admin key>`. JSON in and out; client metadata uses the names of RFC 7591.',
  },
  servers: [{ url: '/', description: 'the server that serves this document' }],
  security: [{ adminKey: [] }],
  tags: [
    { name: 'clients', description: 'OAuth clients (RFC 7591 metadata)' },
    { name: 'keys', description: 'Token signing keys' },
    { name: 'audit', description: 'What admins changed, and what the token endpoint did' },
    TRUSTED_ISSUER_TAG,
  ],
  paths: {
    '/admin/clients': {
      post: {
        operationId: 'createClient',
        summary: 'Register a client',
        tags: tags.clients,
        requestBody: { required: false, content: jsonContent(ref('schemas', 'ClientCreate')) },
        responses: {
          '201': {
            description:
              'The client. `client_secret` is present unless it authenticates with private_key_jwt, and is shown this once.',
            content: jsonContent({ oneOf: [ref('schemas', 'ClientWithSecret'), ref('schemas', 'Client')] }),
          },
          '400': ref('responses', 'InvalidMetadata'),
          '401': ref('responses', 'Unauthorized'),
          '429': ref('responses', 'TooManyWrongKeys'),
          '409': errorResponse('The chosen client_id is taken.', ['conflict']),
          '413': ref('responses', 'TooLarge'),
          '503': ref('responses', 'Unavailable'),
        },
      },
      get: {
        operationId: 'listClients',
        summary: 'List clients, in pages',
        tags: tags.clients,
        parameters: [
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
          },
          {
            name: 'cursor',
            in: 'query',
            description: 'The `next_cursor` of the previous page.',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': { description: 'One page.', content: jsonContent(ref('schemas', 'ClientList')) },
          '400': errorResponse('Bad limit or cursor.', ['invalid_request']),
          '401': ref('responses', 'Unauthorized'),
          '429': ref('responses', 'TooManyWrongKeys'),
          '503': ref('responses', 'Unavailable'),
        },
      },
    },
    '/admin/clients/{id}': {
      get: {
        operationId: 'getClient',
        summary: 'Read one client (never a secret or hash)',
        tags: tags.clients,
        parameters: [clientId],
        responses: {
          '200': { description: 'The client.', content: jsonContent(ref('schemas', 'Client')) },
          '401': ref('responses', 'Unauthorized'),
          '429': ref('responses', 'TooManyWrongKeys'),
          '404': ref('responses', 'NotFound'),
          '503': ref('responses', 'Unavailable'),
        },
      },
      patch: {
        operationId: 'updateClient',
        summary: 'Change client metadata',
        description: 'Takes effect for the next token request, on every node.',
        tags: tags.clients,
        parameters: [clientId],
        requestBody: { required: true, content: jsonContent(ref('schemas', 'ClientPatch')) },
        responses: {
          '200': {
            description: 'The client; with a new `client_secret` only when the change needed one.',
            content: jsonContent({ oneOf: [ref('schemas', 'Client'), ref('schemas', 'ClientWithSecret')] }),
          },
          '400': ref('responses', 'InvalidMetadata'),
          '401': ref('responses', 'Unauthorized'),
          '429': ref('responses', 'TooManyWrongKeys'),
          '404': ref('responses', 'NotFound'),
          '413': ref('responses', 'TooLarge'),
          '503': ref('responses', 'Unavailable'),
        },
      },
      delete: {
        operationId: 'deleteClient',
        summary: 'Remove a client',
        description: 'Its secrets stop working and its tokens stop introspecting as active.',
        tags: tags.clients,
        parameters: [clientId],
        responses: {
          '204': { description: 'Removed.' },
          '401': ref('responses', 'Unauthorized'),
          '429': ref('responses', 'TooManyWrongKeys'),
          '404': ref('responses', 'NotFound'),
          '503': ref('responses', 'Unavailable'),
        },
      },
    },
    '/admin/clients/{id}/secrets': {
      post: {
        operationId: 'rotateClientSecret',
        summary: 'Issue a new client secret',
        description: 'The previous secrets stay valid `previous_secret_ttl` more seconds (default 0).',
        tags: tags.clients,
        parameters: [clientId],
        requestBody: { required: false, content: jsonContent(ref('schemas', 'RotateSecret')) },
        responses: {
          '201': {
            description: 'The client with its new `client_secret`, shown this once.',
            content: jsonContent(ref('schemas', 'ClientWithSecret')),
          },
          '400': errorResponse('Bad previous_secret_ttl, or a private_key_jwt client (it has no secret).', [
            'invalid_client_metadata',
          ]),
          '401': ref('responses', 'Unauthorized'),
          '429': ref('responses', 'TooManyWrongKeys'),
          '404': ref('responses', 'NotFound'),
          '413': ref('responses', 'TooLarge'),
          '503': ref('responses', 'Unavailable'),
        },
      },
    },
    ...TRUSTED_ISSUER_PATHS,
    '/admin/keys/rotate': {
      post: {
        operationId: 'rotateSigningKey',
        summary: 'Make a new signing key',
        description:
          'The new key signs from now on; the others stay in the JWKS until every token they can have signed has expired.',
        tags: tags.keys,
        responses: {
          '201': { description: 'The new public key.', content: jsonContent(ref('schemas', 'PublicJwk')) },
          '401': ref('responses', 'Unauthorized'),
          '429': ref('responses', 'TooManyWrongKeys'),
          '503': ref('responses', 'Unavailable'),
        },
      },
    },
    '/admin/audit': {
      get: {
        operationId: 'listAuditEntries',
        summary: 'The audit log, newest first, in pages',
        description:
          'Every admin change, written in the same transaction as the change: client create/update/delete, client secret rotation, signing key rotation, trusted issuer create/update/delete. Kept TESSERA_AUDIT_RETENTION_DAYS days. Never a secret.',
        tags: tags.audit,
        parameters: pageParameters,
        responses: {
          '200': { description: 'One page.', content: jsonContent(ref('schemas', 'AuditPage')) },
          '400': errorResponse('Bad limit or cursor.', ['invalid_request']),
          '401': ref('responses', 'Unauthorized'),
          '429': ref('responses', 'TooManyWrongKeys'),
          '503': ref('responses', 'Unavailable'),
        },
      },
    },
    '/admin/activity': {
      get: {
        operationId: 'getActivity',
        summary: 'Tokens issued per client and failed client authentications per reason',
        description:
          'Over the last hour (60 one-minute buckets) or day (24 one-hour buckets), counted by every server process and node sharing the store. Each process writes its counts once a minute; the answer adds the answering process’s counts not yet written.',
        tags: tags.audit,
        parameters: [
          {
            name: 'range',
            in: 'query',
            schema: { enum: ['hour', 'day'], default: 'hour' },
          },
        ],
        responses: {
          '200': { description: 'The buckets of the range.', content: jsonContent(ref('schemas', 'Activity')) },
          '400': errorResponse('A range other than hour or day.', ['invalid_request']),
          '401': ref('responses', 'Unauthorized'),
          '429': ref('responses', 'TooManyWrongKeys'),
          '503': ref('responses', 'Unavailable'),
        },
      },
    },
    '/admin/keys': {
      get: {
        operationId: 'listSigningKeys',
        summary: 'The published keys and which one signs',
        tags: tags.keys,
        responses: {
          '200': { description: 'Every published key.', content: jsonContent(ref('schemas', 'SigningKeyList')) },
          '401': ref('responses', 'Unauthorized'),
          '429': ref('responses', 'TooManyWrongKeys'),
        },
      },
    },
  },
  components: {
    securitySchemes: {
      adminKey: {
        type: 'http',
        scheme: 'bearer',
        description: 'The admin key (TESSERA_ADMIN_KEY, or the one printed on first start).',
      },
    },
    parameters: {},
    schemas: { ...schemas, ...TRUSTED_ISSUER_SCHEMAS },
    responses,
  },
};

import type { JsonSchema } from '../clients/json-schema.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './paging.js';
import {
  TRUSTED_ISSUER_INPUT_PROPERTIES,
  TRUSTED_ISSUER_LIST_RESPONSE,
  TRUSTED_ISSUER_RESPONSE,
} from './trusted-issuer-schemas.js';

/** `/admin/trusted-issuers` in the OpenAPI document (admin/openapi.ts spreads these in). */

const ref = (kind: 'schemas' | 'responses', name: string) => ({ $ref: `#/components/${kind}/${name}` });
const jsonContent = (schema: JsonSchema) => ({ 'application/json': { schema } });
const tags = ['trusted issuers'];

const errorResponse = (description: string, code: string) => ({
  description,
  content: jsonContent({ type: 'object', allOf: [ref('schemas', 'Error')], properties: { error: { const: code } } }),
});

const notFound = errorResponse('No such trusted issuer.', 'not_found');
const invalid = errorResponse('Bad trusted issuer; nothing was changed.', 'invalid_client_metadata');
const taken = errorResponse('Another trusted issuer has this issuer.', 'conflict');

const id = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The trusted issuer id.',
  schema: { type: 'string' },
};

/** Fields that PATCH may remove with null. */
const NULLABLE = new Set(['jwks_uri', 'jwks', 'audience', 'trust_domain', 'description']);

export const TRUSTED_ISSUER_TAG = {
  name: 'trusted issuers',
  description:
    'Issuers whose tokens authenticate workloads without a secret (federated_jwt): Kubernetes, SPIFFE, CI platforms',
};

export const TRUSTED_ISSUER_SCHEMAS: Record<string, JsonSchema> = {
  TrustedIssuerCreate: {
    type: 'object',
    required: ['issuer'],
    properties: TRUSTED_ISSUER_INPUT_PROPERTIES,
  },
  TrustedIssuerPatch: {
    type: 'object',
    description: 'The fields to change; null removes an optional one. Unknown fields are ignored.',
    properties: Object.fromEntries(
      Object.entries(TRUSTED_ISSUER_INPUT_PROPERTIES).map(([name, schema]) => [
        name,
        NULLABLE.has(name) ? { anyOf: [schema, { type: 'null' }] } : schema,
      ]),
    ),
  },
  TrustedIssuer: TRUSTED_ISSUER_RESPONSE,
  TrustedIssuerList: {
    ...TRUSTED_ISSUER_LIST_RESPONSE,
    properties: {
      ...(TRUSTED_ISSUER_LIST_RESPONSE.properties as object),
      items: { type: 'array', items: ref('schemas', 'TrustedIssuer') },
    },
  },
};

const common = {
  '401': ref('responses', 'Unauthorized'),
  '429': ref('responses', 'TooManyWrongKeys'),
  '503': ref('responses', 'Unavailable'),
};

export const TRUSTED_ISSUER_PATHS = {
  '/admin/trusted-issuers': {
    post: {
      operationId: 'createTrustedIssuer',
      summary: 'Trust an issuer',
      description: 'Takes effect for the next token request, on every node. Its keys are fetched on first use.',
      tags,
      requestBody: { required: true, content: jsonContent(ref('schemas', 'TrustedIssuerCreate')) },
      responses: {
        '201': {
          description: 'The trusted issuer, with its id.',
          content: jsonContent(ref('schemas', 'TrustedIssuer')),
        },
        '400': invalid,
        '409': taken,
        '413': ref('responses', 'TooLarge'),
        ...common,
      },
    },
    get: {
      operationId: 'listTrustedIssuers',
      summary: 'List trusted issuers, in pages',
      tags,
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
        '200': { description: 'One page.', content: jsonContent(ref('schemas', 'TrustedIssuerList')) },
        '400': errorResponse('Bad limit or cursor.', 'invalid_request'),
        ...common,
      },
    },
  },
  '/admin/trusted-issuers/{id}': {
    get: {
      operationId: 'getTrustedIssuer',
      summary: 'Read one trusted issuer',
      tags,
      parameters: [id],
      responses: {
        '200': { description: 'The trusted issuer.', content: jsonContent(ref('schemas', 'TrustedIssuer')) },
        '404': notFound,
        ...common,
      },
    },
    patch: {
      operationId: 'updateTrustedIssuer',
      summary: 'Change a trusted issuer',
      description: 'Takes effect for the next token request, on every node; its keys are fetched afresh.',
      tags,
      parameters: [id],
      requestBody: { required: true, content: jsonContent(ref('schemas', 'TrustedIssuerPatch')) },
      responses: {
        '200': { description: 'The trusted issuer.', content: jsonContent(ref('schemas', 'TrustedIssuer')) },
        '400': invalid,
        '404': notFound,
        '409': taken,
        '413': ref('responses', 'TooLarge'),
        ...common,
      },
    },
    delete: {
      operationId: 'deleteTrustedIssuer',
      summary: 'Stop trusting an issuer',
      description: 'Its tokens stop authenticating at once, on every node.',
      tags,
      parameters: [id],
      responses: { '204': { description: 'Removed.' }, '404': notFound, ...common },
    },
  },
} as const;

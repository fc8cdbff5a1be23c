import type { JsonSchema } from '../clients/json-schema.js';
import { AUDIT_ACTIONS } from '../store/types.js';
import { NEXT_CURSOR } from './client-schemas.js';

/**
 * Response schemas of GET /admin/audit and GET /admin/activity: Fastify
 * serialises only what they list, and the OpenAPI document shows them.
 */

export const AUDIT_ENTRY: JsonSchema = {
  type: 'object',
  description: 'One admin change. Never a secret, a hash or a metadata value.',
  required: ['at', 'action', 'target', 'actor', 'address'],
  properties: {
    at: { type: 'string', format: 'date-time', description: 'When (RFC 3339, UTC).' },
    action: { enum: [...AUDIT_ACTIONS] },
    target: { type: 'string', description: 'The id acted on: a client_id, a key’s kid, a trusted issuer’s id.' },
    actor: {
      type: 'string',
      description:
        'Who, without revealing a credential: `admin-key:<12 hex>` or `console:<12 hex>`, a keyed digest of the admin key or console session.',
    },
    address: { type: 'string', description: 'The client address (after TESSERA_TRUST_PROXY).' },
  },
  additionalProperties: false,
};

export const AUDIT_PAGE_RESPONSE: JsonSchema = {
  type: 'object',
  required: ['items', 'next_cursor'],
  properties: {
    items: { type: 'array', items: AUDIT_ENTRY },
    next_cursor: NEXT_CURSOR,
  },
  additionalProperties: false,
};

const COUNTS = (what: string): JsonSchema => ({
  type: 'object',
  description: what,
  additionalProperties: { type: 'integer', minimum: 1 },
});

export const ACTIVITY_RESPONSE: JsonSchema = {
  type: 'object',
  required: ['range', 'bucket_seconds', 'buckets'],
  properties: {
    range: { enum: ['hour', 'day'] },
    bucket_seconds: { enum: [60, 3600], description: '60 for the hour, 3600 for the day.' },
    buckets: {
      type: 'array',
      description:
        'Oldest first; the last is the bucket now running (60 minutes for the hour, 24 hours for the day). Empty buckets are listed too.',
      items: {
        type: 'object',
        required: ['start', 'issued', 'failures'],
        properties: {
          start: { type: 'string', format: 'date-time' },
          issued: COUNTS(
            'Access tokens issued, by client_id; clients past the first 1000 of a minute in one process count under `(other)`.',
          ),
          failures: COUNTS(
            'Failed client authentications, by reason (no_credentials, multiple_methods, malformed, unknown_client, wrong_method, wrong_secret, bad_assertion, replayed_assertion, bad_certificate).',
          ),
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
};

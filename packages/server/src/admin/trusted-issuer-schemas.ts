import { z } from 'zod';
import type { JsonSchema } from '../clients/json-schema.js';
import { JWKS_JSON_SCHEMA } from '../clients/metadata-values.js';
import type { TrustedIssuerRecord } from '../federation/trusted-issuer.js';
import {
  DEFAULT_MAX_TOKEN_LIFETIME,
  MAX_MAX_TOKEN_LIFETIME,
  TRUSTED_ISSUER_SCHEMAS,
} from '../federation/trusted-issuer-input.js';

/**
 * A trusted issuer on the wire: the admin view, the response schemas that
 * make Fastify serialise only these fields, and the OpenAPI document's
 * schemas, all from one list of properties.
 */

const URL_SCHEMA = { type: 'string', format: 'uri', maxLength: 2048 } as const;

function fromZod(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' });
  return rest;
}

const { fields } = TRUSTED_ISSUER_SCHEMAS;

/** Every field a caller may send, with what it means. */
export const TRUSTED_ISSUER_INPUT_PROPERTIES: Readonly<Record<string, JsonSchema>> = {
  issuer: {
    ...URL_SCHEMA,
    description:
      'Exactly the `iss` its tokens carry: an https URL (plain http only for loopback hosts), without query or fragment.',
  },
  kind: {
    enum: ['oidc', 'spiffe'],
    default: 'oidc',
    description:
      'oidc: a plain JWKS (Kubernetes, CI platforms, any OpenID provider). spiffe: a SPIFFE bundle endpoint, whose JWKS holds keys with `use: "jwt-svid"` and a `spiffe_refresh_hint`; tokens are sent with client_assertion_type `urn:ietf:params:oauth:client-assertion-type:jwt-spiffe`.',
  },
  jwks_uri: {
    ...URL_SCHEMA,
    description:
      'Where its keys are (https; http only for loopback). Absent, with `jwks` absent too: found through its discovery document (`/.well-known/openid-configuration`, then `/.well-known/oauth-authorization-server`).',
  },
  jwks: { ...JWKS_JSON_SCHEMA, description: 'Its public keys, inline: for an issuer Tessera cannot reach.' },
  audience: {
    ...fromZod(fields.audience),
    description: "The `aud` its tokens must carry. Absent: Tessera's issuer.",
  },
  max_token_lifetime: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_MAX_TOKEN_LIFETIME,
    default: DEFAULT_MAX_TOKEN_LIFETIME,
    description:
      'Longest lifetime accepted, seconds: exp - iat (exp - now for a token without iat). Platform tokens are reused until they expire, so this bounds how long a stolen one works.',
  },
  trust_domain: {
    ...fromZod(fields.trust_domain),
    description:
      'kind spiffe: the trust domain it vouches for. A JWT-SVID without `iss` is matched to this issuer by its `sub` (spiffe://<trust_domain>/…), and every subject must be in it.',
  },
  description: { ...fromZod(fields.description), description: 'A note for people.' },
};

export const TRUSTED_ISSUER_PROPERTIES: Readonly<Record<string, JsonSchema>> = {
  id: { type: 'string', description: 'Generated at creation.' },
  ...TRUSTED_ISSUER_INPUT_PROPERTIES,
  audience: { type: 'string', description: "The `aud` its tokens must carry (Tessera's issuer unless set)." },
  created_at: { type: 'integer', description: 'Seconds since the epoch.' },
  updated_at: { type: 'integer', description: 'Seconds since the epoch.' },
};

export const TRUSTED_ISSUER_RESPONSE: JsonSchema = {
  type: 'object',
  required: ['id', 'issuer', 'kind', 'audience', 'max_token_lifetime', 'created_at', 'updated_at'],
  properties: TRUSTED_ISSUER_PROPERTIES,
  additionalProperties: false,
};

export const TRUSTED_ISSUER_LIST_RESPONSE: JsonSchema = {
  type: 'object',
  required: ['items', 'next_cursor'],
  properties: {
    items: { type: 'array', items: TRUSTED_ISSUER_RESPONSE },
    next_cursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null at the end.' },
  },
  additionalProperties: false,
};

/** The trusted issuer as the admin API shows it. */
export function trustedIssuerView(r: TrustedIssuerRecord, audience: string): Record<string, unknown> {
  const c = r.config;
  const view: Record<string, unknown> = { id: r.id, issuer: c.issuer, kind: c.kind };
  if (c.jwks_uri !== undefined) view.jwks_uri = c.jwks_uri;
  if (c.jwks !== undefined) view.jwks = c.jwks;
  view.audience = audience;
  view.max_token_lifetime = c.max_token_lifetime;
  if (c.trust_domain !== undefined) view.trust_domain = c.trust_domain;
  if (c.description !== undefined) view.description = c.description;
  view.created_at = Math.floor(r.createdAt / 1000);
  view.updated_at = Math.floor(r.updatedAt / 1000);
  return view;
}

import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { isLoopback, PRINTABLE, wireText } from '../clients/metadata-values.js';

/** One platform identity a federated_jwt client accepts: a trusted issuer, the exact `sub`, maybe exact claims. */
export interface FederatedIdentity {
  issuer: string;
  subject: string;
  claims?: Record<string, unknown> | undefined;
}

/** Claims the identity already names, or that are checked on their own: not matchable. */
const CHECKED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat']);
const MESSAGE = 'federated_identities: a list of at most 50 {issuer, subject, claims?}';

const identity = z
  .object(
    {
      issuer: z
        .string({ message: 'federated_identities: issuer must be a URL' })
        .max(2048)
        .refine((s) => {
          try {
            const u = new URL(s);
            return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopback(u.hostname));
          } catch {
            return false;
          }
        }, 'federated_identities: issuer must be an https URL (http only for loopback hosts)'),
      subject: z
        .string({ message: 'federated_identities: subject must be a string' })
        .min(1, 'federated_identities: subject must not be empty')
        .max(1024, 'federated_identities: subject is at most 1024 characters')
        .regex(PRINTABLE, 'federated_identities: subject must be printable text'),
      claims: z
        .record(z.string().min(1).max(128), z.unknown(), { message: 'federated_identities: claims must be an object' })
        .superRefine((c, ctx) => {
          const names = Object.keys(c);
          const checked = names.filter((n) => CHECKED_CLAIMS.has(n));
          if (checked.length > 0) {
            ctx.addIssue({
              code: 'custom',
              message: `federated_identities: claims cannot name ${checked.map((n) => wireText(n)).join(', ')}`,
            });
          }
          if (names.length > 20 || JSON.stringify(c).length > 4096) {
            ctx.addIssue({ code: 'custom', message: 'federated_identities: at most 20 claims and 4096 bytes of JSON' });
          }
        })
        .optional(),
    },
    { error: MESSAGE },
  )
  .strict();

/** The metadata field's schema (clients/metadata-fields.ts): duplicates are dropped. */
export const federatedIdentities = z
  .array(identity, { message: MESSAGE })
  .min(1, 'federated_identities: at least one identity')
  .max(50, MESSAGE)
  .transform((list) => list.filter((a, i) => list.findIndex((b) => isDeepStrictEqual(a, b)) === i));

export const FEDERATED_IDENTITIES_JSON_SCHEMA = {
  type: 'array',
  minItems: 1,
  maxItems: 50,
  items: {
    type: 'object',
    required: ['issuer', 'subject'],
    additionalProperties: false,
    properties: {
      issuer: { type: 'string', format: 'uri', maxLength: 2048, description: 'A trusted issuer: exactly its `iss`.' },
      subject: { type: 'string', minLength: 1, maxLength: 1024, description: 'Exactly the `sub` of its tokens.' },
      claims: {
        type: 'object',
        maxProperties: 20,
        additionalProperties: true,
        description: 'Claims the token must also carry, each with exactly this value.',
      },
    },
  },
} as const;

/** Whether a verified token's claims hold every claim the identity names, exactly. */
export function claimsMatch(wanted: Record<string, unknown> | undefined, payload: Record<string, unknown>): boolean {
  if (wanted === undefined) return true;
  for (const name in wanted) {
    if (!isDeepStrictEqual(wanted[name], payload[name])) return false;
  }
  return true;
}

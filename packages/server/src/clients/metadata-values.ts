import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { JWK } from 'jose';
import { z } from 'zod';
import { REGISTERED_CLAIMS } from '../tokens/jwt-claims.js';

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
// Printable text: audiences end up in JWT `aud` and in verifier configuration.
export const PRINTABLE = /^[^\x00-\x1F\x7F]+$/;
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
/** RFC 7518 §3.3 and NIST SP 800-131A: RSA signature keys of at least 2048 bits. */
export const MIN_RSA_BITS = 2048;

/**
 * `s` as it may appear in an error_description (RFC 6749 §5.2 allows
 * %x20-21 / %x23-5B / %x5D-7E): anything else, quotes and backslashes
 * included, becomes `?`, so user input never breaks the JSON or the charset.
 */
export function wireText(s: string, max = 40): string {
  return s.slice(0, max).replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '?');
}

export const printableText = (max: number) => z.string().min(1).max(max).regex(PRINTABLE, 'must be printable text');

export const scope = z
  .string()
  .max(8192)
  .transform((s, ctx) => {
    const tokens = [...new Set(s.split(' ').filter(Boolean))];
    for (const t of tokens) {
      if (!SCOPE_TOKEN.test(t)) {
        ctx.addIssue({ code: 'custom', message: `scope: ${wireText(t)} is not a valid scope token (RFC 6749 3.3)` });
        return z.NEVER;
      }
    }
    if (tokens.length > 500) ctx.addIssue({ code: 'custom', message: 'scope: at most 500 scopes' });
    return tokens.join(' ');
  });

export const audience = z
  .array(printableText(512))
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
  let modulusBits: number | undefined;
  try {
    modulusBits = createPublicKey({ key: key as JsonWebKey, format: 'jwk' }).asymmetricKeyDetails?.modulusLength;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'jwks: a key could not be read as a public key' });
    return;
  }
  // EC and OKP keys have no modulus, and every curve node reads is strong enough.
  if (key.kty === 'RSA' && (modulusBits ?? 0) < MIN_RSA_BITS) {
    ctx.addIssue({ code: 'custom', message: `jwks: RSA keys must have at least ${MIN_RSA_BITS} bits` });
  }
});

/** The public keys of a private_key_jwt client; the JSON Schema in metadata-fields.ts says what zod cannot. */
export const jwks = z.object({ keys: z.array(jwk).min(1).max(20) }) as unknown as z.ZodType<
  { keys: JWK[] },
  { keys: Record<string, unknown>[] }
>;

export const JWKS_JSON_SCHEMA = {
  type: 'object',
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        required: ['kty'],
        properties: { kty: { enum: ['RSA', 'EC', 'OKP'] } },
        propertyNames: { not: { enum: PRIVATE_JWK_MEMBERS } },
        // Every public member of the key is kept (n, e, crv, x, y, kid, alg, use …).
        additionalProperties: true,
        description: `A public JWK (private members are refused; RSA keys of at least ${MIN_RSA_BITS} bits).`,
      },
    },
  },
} as const;

export const jwksUri = z
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

export const claims = z.record(z.string().min(1).max(128), z.unknown()).superRefine((c, ctx) => {
  const names = Object.keys(c);
  const registered = names.filter((n) => REGISTERED_CLAIMS.has(n));
  if (registered.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `claims: registered claims cannot be set: ${registered.map((n) => wireText(n)).join(', ')}`,
    });
  }
  if (names.length > 50 || JSON.stringify(c).length > 4096) {
    ctx.addIssue({ code: 'custom', message: 'claims: at most 50 claims and 4096 bytes of JSON' });
  }
});

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

import { InvalidClient } from '../errors/index.js';
import { AUTHORIZATION_HEADER } from './carriers.js';
import { verifySecrets } from './client-secret.js';
import type { AuthMethod } from './method.js';

export interface BasicCredentials {
  clientId: string;
  secret: string;
  /** The secret exactly as sent, for clients that did not form-encode it. */
  rawSecret: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Reads `Authorization: Basic …` (RFC 7617). RFC 6749 §2.3.1 says id and
 * secret are form-urlencoded before base64; clients that skip that step still
 * work for ids and secrets without `%` or `+` (all generated ones).
 * Returns undefined when the header is not Basic at all.
 */
export function parseBasic(header: string): BasicCredentials | undefined {
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== 'basic') return undefined;
  const encoded = header.slice(space + 1).trim();
  if (encoded.length > 4096 || !BASE64.test(encoded))
    throw new InvalidClient('malformed Basic credentials', 'malformed');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw new InvalidClient('malformed Basic credentials', 'malformed');
  const rawSecret = decoded.slice(colon + 1);
  return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(rawSecret), rawSecret };
}

function formDecode(s: string): string {
  // Generated ids and secrets never need decoding: skip the regex and decodeURIComponent.
  if (!s.includes('%') && !s.includes('+')) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** RFC 6749 §2.3.1: the secret in `Authorization: Basic`. */
export const clientSecretBasic = {
  name: 'client_secret_basic',
  secret: 'hashed',
  keys: false,
  carrier: AUTHORIZATION_HEADER,
  // The same secret sent in the body (Keycloak, Duende and Curity accept either).
  alsoAccepts: ['client_secret_post'],
  read(req) {
    const basic = req.authorization ? parseBasic(req.authorization) : undefined;
    if (!basic) return undefined;
    // The secret as sent too, for clients that did not form-encode it.
    const secrets = basic.rawSecret === basic.secret ? [basic.secret] : [basic.secret, basic.rawSecret];
    return { clientId: basic.clientId, proof: secrets };
  },
  verify: verifySecrets,
} as const satisfies AuthMethod<readonly string[]>;

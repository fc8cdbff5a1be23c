import { randomBytes } from 'node:crypto';

/**
 * `bytes` of CSPRNG output as base64url: only RFC 3986 unreserved characters,
 * so a secret survives form-encoding, Basic auth and shells unchanged.
 */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

import { createHash } from 'node:crypto';

/**
 * The RFC 7638 SHA-256 thumbprint of a public JWK: its required members in
 * lexicographic order, no whitespace, hashed and base64url-encoded. This is
 * what `cnf.jkt` (RFC 9449 §6.1) holds. Undefined for a key type without a
 * defined member set, or members that are not strings.
 */
export function jwkThumbprint(jwk: Record<string, unknown>): string | undefined {
  const { kty, crv, x, y, n, e } = jwk;
  let canonical: string;
  if (kty === 'EC' && typeof crv === 'string' && typeof x === 'string' && typeof y === 'string') {
    canonical = JSON.stringify({ crv, kty, x, y });
  } else if (kty === 'RSA' && typeof e === 'string' && typeof n === 'string') {
    canonical = JSON.stringify({ e, kty, n });
  } else if (kty === 'OKP' && typeof crv === 'string' && typeof x === 'string') {
    canonical = JSON.stringify({ crv, kty, x });
  } else {
    return undefined;
  }
  return sha256Base64url(canonical);
}

/** base64url(SHA-256(data)): `ath` (of the access token's ASCII), `jkt`, `x5t#S256` (of the DER). */
export function sha256Base64url(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('base64url');
}

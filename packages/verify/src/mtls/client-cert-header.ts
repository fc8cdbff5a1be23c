/** A DER certificate is a few KiB; a header value far past that is not one. */
const MAX_HEADER_LENGTH = 16_384;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Reads an RFC 9440 `Client-Cert` value: the DER certificate as a
 * Structured Field byte sequence, `:<base64>:`. Anything else (several
 * values, another encoding, garbage) gives undefined: no certificate, never
 * a guess.
 */
export function parseClientCertHeader(value: string | readonly string[] | undefined): Uint8Array | undefined {
  if (typeof value !== 'string' || value.length > MAX_HEADER_LENGTH) return undefined;
  const trimmed = value.trim();
  if (trimmed.length < 3 || trimmed[0] !== ':' || trimmed[trimmed.length - 1] !== ':') return undefined;
  const inner = trimmed.slice(1, -1);
  if (inner.length % 4 !== 0 || !BASE64.test(inner)) return undefined;
  const der = Buffer.from(inner, 'base64');
  // Every DER certificate is a SEQUENCE (0x30).
  return der.length > 0 && der[0] === 0x30 ? der : undefined;
}

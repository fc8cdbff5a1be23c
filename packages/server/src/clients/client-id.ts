/**
 * RFC 6749 Appendix A.1: client-id = *VSCHAR (%x20-7E), space included: an
 * id chosen at registration may read "my service". Basic credentials carry
 * it form-encoded (RFC 6749 §2.3.1), admin URLs percent-encoded.
 */
const CLIENT_ID = /^[\x20-\x7E]{1,128}$/;

export const CLIENT_ID_PATTERN = CLIENT_ID.source;

/** Whether `id` could be a client id at all: anything else is unknown without asking the store. */
export function isClientId(id: string): boolean {
  return CLIENT_ID.test(id);
}

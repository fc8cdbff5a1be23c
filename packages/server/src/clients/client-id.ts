// RFC 6749 Appendix A: client_id is VSCHAR; we also refuse space to keep ids shell- and URL-friendly.
const CLIENT_ID = /^[\x21-\x7E]{1,128}$/;

export const CLIENT_ID_PATTERN = CLIENT_ID.source;

/** Whether `id` could be a client id at all: anything else is unknown without asking the store. */
export function isClientId(id: string): boolean {
  return CLIENT_ID.test(id);
}

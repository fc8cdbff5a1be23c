/**
 * Node's base64url decoder skips characters it does not know (a space, a
 * `!`, padding) and ignores the unused bits of the last character, so many
 * spellings decode to one signature. RFC 7515 §2 allows one: unpadded
 * base64url, canonical (RFC 4648 §3.5). A token is checked here before it
 * is decoded; tokens we did not write exactly are not ours.
 */

/** Each base64url character's value plus one; 0 for every other code below 128. */
const VALUE_PLUS_ONE = new Uint8Array(128);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
for (let i = 0; i < ALPHABET.length; i++) VALUE_PLUS_ONE[ALPHABET.charCodeAt(i)] = i + 1;

/** True when `s` from `start` to `end` is canonical unpadded base64url. */
export function isCanonicalBase64url(s: string, start = 0, end = s.length): boolean {
  const length = end - start;
  // One character past a multiple of four holds only 6 bits: never a byte.
  if (length % 4 === 1) return false;
  let last = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    last = c < 128 ? (VALUE_PLUS_ONE[c] as number) : 0;
    if (last === 0) return false;
  }
  // The last character's bits past the last whole byte must be zero.
  const rest = length % 4;
  return rest === 0 || ((last - 1) & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** A JWS compact serialization: three canonical base64url parts, two dots. */
export function isCanonicalCompactJws(token: string): boolean {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.indexOf('.', second + 1) !== -1) return false;
  return (
    isCanonicalBase64url(token, 0, first) &&
    isCanonicalBase64url(token, first + 1, second) &&
    isCanonicalBase64url(token, second + 1)
  );
}

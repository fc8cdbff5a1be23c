import { deflateSync } from 'node:zlib';
import type { StatusListContents } from '../store/types.js';

/**
 * A list's `lst` (draft-ietf-oauth-status-list §4.1, `bits: 1`): one bit
 * per token, index `i` at bit `i % 8` of byte `i / 8`, counted from the
 * least significant bit; the bytes compressed with DEFLATE in the zlib
 * format (RFC 1950), then base64url. 1 is invalid. At least one byte.
 */
export function encodeStatusList(contents: StatusListContents): string {
  const bytes = new Uint8Array(Math.max(1, Math.ceil(contents.size / 8)));
  const set = (i: number) => {
    if (i >= 0 && i < contents.size) bytes[i >> 3] = (bytes[i >> 3] as number) | (1 << (i & 7));
  };
  for (const i of contents.revoked) set(i);
  for (const [first, size] of contents.revokedBlocks) for (let i = first; i < first + size; i++) set(i);
  return deflateSync(bytes, { level: 9 }).toString('base64url');
}

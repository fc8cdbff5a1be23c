import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** How long one nonce window lasts; a nonce is accepted in its window and the next. */
export const NONCE_WINDOW_SECONDS = 60;
/** Bytes of HMAC kept: 128 bits, unforgeable for the minutes a nonce lives. */
const MAC_BYTES = 16;
/** 4 bytes of window number + the MAC, base64url: 27 characters of RFC 9449's NQCHAR set. */
const NONCE_LENGTH = Math.ceil(((4 + MAC_BYTES) * 4) / 3);

/**
 * Server nonces for DPoP proofs (RFC 9449 §8) that every node accepts
 * without shared state: a nonce is a time window's number and an HMAC of
 * it under a key derived from the encryption key, which every node of one
 * deployment has. A nonce is accepted in the window it was made, the one
 * after (so it lives one to two windows), and the one before (a node whose
 * clock runs a little ahead made it). Nonces under a previous encryption key
 * (TESSERA_ENCRYPTION_KEY_PREVIOUS) are accepted too, so a rolling key
 * change does not send clients round in use_dpop_nonce answers.
 */
export class DpopNonces {
  readonly #keys: readonly Buffer[];
  readonly #windowMs: number;
  #cachedWindow = -1;
  #cachedNonce = '';

  constructor(masterKey: Buffer, previous: readonly Buffer[] = [], windowSeconds = NONCE_WINDOW_SECONDS) {
    this.#keys = [masterKey, ...previous].map(derive);
    this.#windowMs = windowSeconds * 1000;
  }

  /** The nonce to hand out now (the same for a whole window, on every node). */
  current(nowMs: number): string {
    const window = Math.floor(nowMs / this.#windowMs);
    if (window !== this.#cachedWindow) {
      this.#cachedNonce = encode(window, this.#keys[0] as Buffer);
      this.#cachedWindow = window;
    }
    return this.#cachedNonce;
  }

  /** Whether `nonce` is one of ours and still fresh. Constant-time in the MAC. */
  accepts(nonce: string, nowMs: number): boolean {
    if (nonce.length !== NONCE_LENGTH) return false;
    const bytes = Buffer.from(nonce, 'base64url');
    if (bytes.length !== 4 + MAC_BYTES || bytes.toString('base64url') !== nonce) return false;
    const window = bytes.readUInt32BE(0);
    const age = Math.floor(nowMs / this.#windowMs) - window;
    if (age < -1 || age > 1) return false;
    const mac = bytes.subarray(4);
    return this.#keys.some((key) => timingSafeEqual(macOf(window, key), mac));
  }
}

function derive(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tessera/dpop-nonce/v1', 32));
}

function macOf(window: number, key: Buffer): Buffer {
  const data = Buffer.alloc(4);
  data.writeUInt32BE(window, 0);
  return createHmac('sha256', key).update(data).digest().subarray(0, MAC_BYTES);
}

function encode(window: number, key: Buffer): string {
  const out = Buffer.alloc(4 + MAC_BYTES);
  out.writeUInt32BE(window, 0);
  macOf(window, key).copy(out, 4);
  return out.toString('base64url');
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Server-provided DPoP nonces (RFC 9449 §9): with one, a proof made ahead of
 * time by a thief who briefly held the key is useless once the nonce changes.
 */
export interface DpopNonceSource {
  /** The nonce a client should use now; sent in `DPoP-Nonce` with `use_dpop_nonce`. */
  issue(): string;
  /** Whether a proof's `nonce` is acceptable. */
  check(nonce: string): boolean;
}

export interface HmacNonceOptions {
  /** Shared by every instance of the service, so any of them accepts a nonce another issued. Default: random, for one process. */
  secret?: Uint8Array;
  /** How long a nonce is issued for, in ms; it is accepted for up to twice that. Default 300 000 (5 min). */
  windowMs?: number;
  clock?: () => number;
}

/**
 * Nonces every instance accepts without shared state: the time window's
 * number and an HMAC of it. The current and the previous window are
 * accepted, so a nonce issued at the end of a window stays usable.
 */
export function createDpopNonces(options: HmacNonceOptions = {}): DpopNonceSource {
  const secret = options.secret ?? randomBytes(32);
  if (secret.length < 16) throw new TypeError('the nonce secret must be at least 16 bytes');
  const windowMs = options.windowMs ?? 300_000;
  if (!(windowMs >= 1_000)) throw new TypeError('windowMs must be at least 1000');
  const clock = options.clock ?? Date.now;
  const mac = (window: number) => createHmac('sha256', secret).update(`dpop-nonce.${window}`).digest().subarray(0, 16);
  const nonceFor = (window: number) => `${window.toString(36)}.${mac(window).toString('base64url')}`;
  return {
    issue: () => nonceFor(Math.floor(clock() / windowMs)),
    check(nonce) {
      const dot = nonce.indexOf('.');
      if (dot < 1 || dot > 12) return false;
      const window = Number.parseInt(nonce.slice(0, dot), 36);
      const current = Math.floor(clock() / windowMs);
      if (window !== current && window !== current - 1) return false;
      const given = Buffer.from(nonce.slice(dot + 1), 'base64url');
      const expected = mac(window);
      return given.length === expected.length && timingSafeEqual(given, expected) && nonceFor(window) === nonce;
    },
  };
}

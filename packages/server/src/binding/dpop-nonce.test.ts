import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { DpopNonces, NONCE_WINDOW_SECONDS } from './dpop-nonce.js';

const KEY = randomBytes(32);
const T = Date.UTC(2026, 11, 6, 12, 0, 0);
const WINDOW_MS = NONCE_WINDOW_SECONDS * 1000;

describe('DpopNonces (RFC 9449 §8)', () => {
  it('hands out one nonce per window, in the NQCHAR set, and accepts it', () => {
    const n = new DpopNonces(KEY);
    const nonce = n.current(T);
    assert.match(nonce, /^[A-Za-z0-9_-]{27}$/);
    assert.equal(n.current(T + WINDOW_MS - 1), nonce, 'the same all window long');
    assert.notEqual(n.current(T + WINDOW_MS), nonce, 'a new one in the next window');
    assert.equal(n.accepts(nonce, T), true);
  });

  it('accepts a nonce in its window and the next, not later', () => {
    const n = new DpopNonces(KEY);
    const nonce = n.current(T);
    assert.equal(n.accepts(nonce, T + WINDOW_MS), true);
    assert.equal(n.accepts(nonce, T + 2 * WINDOW_MS - 1), true);
    assert.equal(n.accepts(nonce, T + 2 * WINDOW_MS), false);
    assert.equal(n.accepts(nonce, T + 3600_000), false);
  });

  it('accepts a nonce from a node whose clock is one window ahead, not two', () => {
    const n = new DpopNonces(KEY);
    assert.equal(n.accepts(n.current(T + WINDOW_MS), T), true);
    assert.equal(n.accepts(n.current(T + 2 * WINDOW_MS), T), false);
  });

  it('needs no shared state: another node with the same key accepts it, one with another key does not', () => {
    const nonce = new DpopNonces(KEY).current(T);
    assert.equal(new DpopNonces(KEY).accepts(nonce, T), true);
    assert.equal(new DpopNonces(randomBytes(32)).accepts(nonce, T), false);
  });

  it('accepts nonces made under a previous encryption key while it is being retired', () => {
    const old = new DpopNonces(KEY).current(T);
    const next = randomBytes(32);
    assert.equal(new DpopNonces(next, [KEY]).accepts(old, T), true);
    assert.equal(new DpopNonces(next).accepts(old, T), false);
    assert.equal(new DpopNonces(next, [KEY]).accepts(new DpopNonces(next).current(T), T), true);
  });

  it('refuses garbage, altered MACs, and non-canonical spellings', () => {
    const n = new DpopNonces(KEY);
    const nonce = n.current(T);
    for (const bad of ['', 'x', `${nonce}A`, nonce.slice(1), `${nonce.slice(0, 20)}AAAAAAA`, '!'.repeat(27)]) {
      assert.equal(n.accepts(bad, T), false, bad);
    }
    // The last character of 20 bytes in base64url carries 4 unused bits: another spelling of the same bytes.
    const last = nonce.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = `${nonce.slice(0, -1)}${alphabet[alphabet.indexOf(last) ^ 1]}`;
    assert.equal(n.accepts(twin, T), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDpopNonces } from './nonce.js';
import { MemoryReplayStore } from './replay.js';

describe('MemoryReplayStore', () => {
  it('answers true once per key until it expires, and stays within its bound', () => {
    let now = 1_000;
    const store = new MemoryReplayStore(3, () => now);
    assert.equal(store.useOnce('a', 2_000), true);
    assert.equal(store.useOnce('a', 2_000), false);
    now = 2_000;
    assert.equal(store.useOnce('a', 3_000), true, 'expired, so usable again');
    for (const k of ['b', 'c', 'd', 'e']) assert.equal(store.useOnce(k, 10_000), true);
    assert.ok(store.size <= 3);
    assert.equal(store.useOnce('e', 10_000), false);
  });
});

describe('createDpopNonces', () => {
  it('accepts its nonces for the current and the previous window only, and no forgery', () => {
    let now = 1_000_000;
    const secret = Buffer.alloc(32, 7);
    const nonces = createDpopNonces({ secret, windowMs: 60_000, clock: () => now });
    const nonce = nonces.issue();
    assert.equal(nonces.check(nonce), true);
    now += 60_000;
    assert.equal(nonces.check(nonce), true, 'previous window');
    now += 60_000;
    assert.equal(nonces.check(nonce), false, 'too old');
    const current = nonces.issue();
    assert.equal(
      createDpopNonces({ secret, windowMs: 60_000, clock: () => now }).check(current),
      true,
      'another instance, same secret',
    );
    assert.equal(createDpopNonces({ windowMs: 60_000, clock: () => now }).check(current), false, 'another secret');
    assert.equal(nonces.check(`${current.slice(0, -2)}AA`), false);
    assert.equal(nonces.check('garbage'), false);
    assert.equal(nonces.check(''), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedCache } from './bounded-cache.js';

describe('BoundedCache', () => {
  it('answers a value until it expires, and has() without counting a use', () => {
    const c = new BoundedCache<string, number>(10);
    c.set('a', 1, 1000);
    assert.equal(c.get('a', 999), 1);
    assert.equal(c.get('a', 1000), undefined, 'expired at its expiry');
    assert.equal(c.has('a'), true, 'an expired entry is still held until replaced');
    c.set('a', 2, 2000);
    assert.equal(c.get('a', 1500), 2);
    c.delete('a');
    assert.equal(c.has('a'), false);
    c.set('b', 3);
    assert.equal(c.get('b', Number.MAX_SAFE_INTEGER), 3, 'no expiry by default');
    c.clear();
    assert.equal(c.size, 0);
  });

  it('evicts an entry not used since the last pass before any used one', () => {
    const c = new BoundedCache<string, number>(3);
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3);
    c.get('a', 0);
    c.get('c', 0);
    c.set('d', 4);
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((k) => c.has(k)),
      [true, false, true, true],
    );
    // Every entry used: one pass clears the marks, then exactly one of them goes.
    for (const k of ['a', 'c', 'd']) c.get(k, 0);
    c.set('e', 5);
    assert.equal(c.size, 3);
    assert.equal(['a', 'c', 'd'].filter((k) => c.has(k)).length, 2);
    assert.equal(c.has('e'), true, 'the new entry is not the one evicted');
  });

  it('never holds more than maxSize under a random workload', () => {
    const c = new BoundedCache<number, number>(100);
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % 1000;
    };
    for (let i = 0; i < 20_000; i++) {
      const k = rnd();
      if (c.get(k, 0) === undefined) c.set(k, k);
      assert.ok(c.size <= 100);
    }
    assert.equal(c.size, 100);
  });
});

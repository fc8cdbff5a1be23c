import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpiringCache } from './verified-cache.js';

describe('ExpiringCache', () => {
  it('expires each entry at its own deadline', () => {
    const cache = new ExpiringCache<number>(10);
    cache.set('a', 1, 100);
    cache.set('b', 2, 200);
    assert.equal(cache.get('a', 99), 1);
    assert.equal(cache.get('a', 100), undefined);
    assert.equal(cache.get('b', 150), 2);
    assert.equal(cache.size, 1);
  });

  it('stays within its bound, evicting the oldest first', () => {
    const cache = new ExpiringCache<number>(3);
    for (let i = 0; i < 5; i++) cache.set(`k${i}`, i, 1_000);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('k1', 0), undefined);
    assert.equal(cache.get('k2', 0), 2);
    assert.equal(cache.get('k4', 0), 4);
  });

  it('stores nothing when its bound is 0', () => {
    const cache = new ExpiringCache<number>(0);
    cache.set('a', 1, 1_000);
    assert.equal(cache.get('a', 0), undefined);
  });
});

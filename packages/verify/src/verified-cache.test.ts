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

  it('answers only for the very key stored, whatever slot it is filed under', () => {
    const cache = new ExpiringCache<number>(10);
    cache.set('token-a', 1, 1_000, 'slot');
    assert.equal(cache.get('token-a', 0, 'slot'), 1);
    assert.equal(cache.get('token-b', 0, 'slot'), undefined);
    assert.equal(cache.get('token-a', 0), undefined, 'filed under its slot, not under itself');
    // A second key for the same slot replaces the first.
    cache.set('token-b', 2, 1_000, 'slot');
    assert.equal(cache.get('token-a', 0, 'slot'), undefined);
    assert.equal(cache.get('token-b', 0, 'slot'), 2);
    cache.delete('token-a', 'slot');
    assert.equal(cache.get('token-b', 0, 'slot'), 2, 'deleting another key leaves the slot alone');
    cache.delete('token-b', 'slot');
    assert.equal(cache.size, 0);
  });

  it('stores nothing when its bound is 0', () => {
    const cache = new ExpiringCache<number>(0);
    cache.set('a', 1, 1_000);
    assert.equal(cache.get('a', 0), undefined);
  });
});

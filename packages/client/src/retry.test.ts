import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeAudience, normalizeScope, normalizeTarget } from './cache-key.js';
import { backoffDelay, defaultRetryPolicy, parseRetryAfter } from './retry.js';

describe('backoff', () => {
  it('doubles the bound per retry, capped, with full jitter', () => {
    const top = () => 0.999999;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, defaultRetryPolicy, top)),
      [199, 399, 799, 1599, 3199, 4999, 4999],
    );
    assert.equal(
      backoffDelay(3, defaultRetryPolicy, () => 0),
      0,
    );
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.UTC(2030, 0, 1);
    assert.equal(parseRetryAfter('7', now), 7_000);
    assert.equal(parseRetryAfter(new Date(now + 5_000).toUTCString(), now), 5_000);
    assert.equal(parseRetryAfter(new Date(now - 5_000).toUTCString(), now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });
});

describe('cache key', () => {
  it('normalises scope and audience as sets', () => {
    assert.equal(normalizeScope('b a b'), 'a b');
    assert.equal(normalizeScope(['b', 'a c']), 'a b c');
    assert.equal(normalizeScope(undefined), '');
    assert.deepEqual(normalizeAudience(['files', 'calendar', 'files']), ['calendar', 'files']);
    assert.equal(
      normalizeTarget({ audience: 'x', scope: 'b a' }).key,
      normalizeTarget({ audience: ['x'], scope: ['a', 'b'] }).key,
    );
    assert.notEqual(normalizeTarget({ audience: 'a b' }).key, normalizeTarget({ audience: ['a', 'b'] }).key);
    assert.notEqual(normalizeTarget({ audience: 'a' }).key, normalizeTarget({ scope: 'a' }).key);
  });
});

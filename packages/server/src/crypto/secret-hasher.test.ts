import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SecretHasher } from './secret-hasher.js';

const [A, B, C] = [randomBytes(32), randomBytes(32), randomBytes(32)];

describe('SecretHasher', () => {
  it('hashes under the current key and verifies only the right secret', () => {
    const h = new SecretHasher(A, 'test');
    const stored = h.hash('s3cret');
    assert.ok(stored.startsWith(h.currentPrefix));
    assert.equal(h.verify('s3cret', stored), true);
    assert.equal(h.verify('other', stored), false);
    assert.equal(h.keyOf(stored), 'current');
    assert.equal(h.hasPreviousKeys, false);
  });

  it('refuses a stored hash under the current key that was cut, extended or changed', () => {
    const h = new SecretHasher(A, 'test');
    const stored = h.hash('s3cret');
    const digest = stored.slice(h.currentPrefix.length);
    const flipped = `${digest[0] === 'A' ? 'B' : 'A'}${digest.slice(1)}`;
    for (const bad of [
      stored.slice(0, -1),
      `${stored}A`,
      `${stored}$x`,
      h.currentPrefix,
      `${h.currentPrefix}${flipped}`,
      `${h.currentPrefix}${'€'.repeat(digest.length)}`,
    ]) {
      assert.equal(h.verify('s3cret', bad), false, bad);
    }
    assert.equal(h.verify('s3cret', `${h.currentPrefix}${digest}`), true);
  });

  it('keys differ per purpose', () => {
    assert.notEqual(new SecretHasher(A, 'one').hash('x'), new SecretHasher(A, 'two').hash('x'));
  });

  it('verifies a hash made under a previous key and tells it apart', () => {
    const old = new SecretHasher(A, 'test').hash('s3cret');
    const ring = new SecretHasher(B, 'test', [A]);
    assert.equal(ring.verify('s3cret', old), true);
    assert.equal(ring.verify('other', old), false);
    assert.equal(ring.keyOf(old), 'previous');
    assert.equal(ring.hasPreviousKeys, true);
    assert.deepEqual(ring.previousPrefixes, [old.slice(0, old.lastIndexOf('$') + 1)]);
    const fresh = ring.hash('s3cret');
    assert.equal(ring.keyOf(fresh), 'current');
    assert.equal(new SecretHasher(B, 'test').verify('s3cret', fresh), true);
  });

  it('refuses a hash made under a key it does not hold', () => {
    const other = new SecretHasher(C, 'test').hash('s3cret');
    const ring = new SecretHasher(B, 'test', [A]);
    assert.equal(ring.verify('s3cret', other), false);
    assert.equal(ring.keyOf(other), 'unknown');
    assert.equal(ring.verify('s3cret', 'hmac-sha256$x$y$z'), false);
    assert.equal(ring.verify('s3cret', 'garbage'), false);
  });

  it('gives the lookup digest under the current key, and under each previous key on demand', () => {
    const ring = new SecretHasher(B, 'test', [A, C]);
    assert.equal(ring.digest('tok'), new SecretHasher(B, 'test').digest('tok'));
    assert.deepEqual(ring.previousDigests('tok'), [
      new SecretHasher(A, 'test').digest('tok'),
      new SecretHasher(C, 'test').digest('tok'),
    ]);
    assert.deepEqual(new SecretHasher(B, 'test').previousDigests('tok'), []);
  });
});

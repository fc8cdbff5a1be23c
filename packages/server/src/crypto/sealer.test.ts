import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { previousKeys } from './encryption-key.js';
import { Sealer, sealerKeyId, UnknownEncryptionKeyError } from './sealer.js';

const [A, B, C] = [randomBytes(32), randomBytes(32), randomBytes(32)];

describe('Sealer', () => {
  it('round-trips, bound to its context', () => {
    const s = new Sealer(A);
    const sealed = s.seal('secret', 'ctx:1');
    assert.equal(s.open(sealed, 'ctx:1').toString(), 'secret');
    assert.throws(() => s.open(sealed, 'ctx:2'));
    assert.ok(sealed.startsWith(s.currentPrefix));
  });

  it('seals with the current key and opens values sealed under a previous one', () => {
    const old = new Sealer(A).seal('secret', 'ctx');
    const ring = new Sealer(B, [A]);
    assert.equal(ring.open(old, 'ctx').toString(), 'secret');
    assert.equal(ring.keyOf(old), 'previous');
    const fresh = ring.seal('secret', 'ctx');
    assert.equal(ring.keyOf(fresh), 'current');
    assert.ok(fresh.startsWith(`v1.${sealerKeyId(B)}.`));
    assert.deepEqual(ring.previousKeyIds, [sealerKeyId(A)]);
  });

  it('refuses a value sealed under a key it does not hold, naming only the key id', () => {
    const other = new Sealer(C).seal('secret', 'ctx');
    const ring = new Sealer(B, [A]);
    assert.equal(ring.keyOf(other), 'unknown');
    assert.throws(
      () => ring.open(other, 'ctx'),
      (err: unknown) =>
        err instanceof UnknownEncryptionKeyError &&
        err.keyId === sealerKeyId(C) &&
        err.message.includes(sealerKeyId(C)) &&
        !err.message.includes(C.toString('base64url')),
    );
  });

  it('previousKeys refuses the current key among the previous ones', () => {
    assert.deepEqual(previousKeys(B, [A.toString('base64url')]), [A]);
    assert.deepEqual(previousKeys(B, undefined), []);
    assert.throws(
      () => previousKeys(B, [A.toString('base64url'), B.toString('base64url')]),
      new RegExp(`^Error: TESSERA_ENCRYPTION_KEY_PREVIOUS lists the current encryption key \\(${sealerKeyId(B)}\\)`),
    );
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { pooledRandomBytes, uuidV7, uuidV7Millis } from './random.js';

describe('pooledRandomBytes', () => {
  it('draws distinct buffers of the asked size across pool refills', () => {
    const seen = new Set<string>();
    // 1,000 × 48 bytes: the 4 KiB pool is refilled about a dozen times.
    for (let i = 0; i < 1000; i++) {
      const b = pooledRandomBytes(48);
      assert.equal(b.length, 48);
      seen.add(b.toString('hex'));
    }
    assert.equal(seen.size, 1000);
    assert.equal(pooledRandomBytes(5000).length, 5000);
  });

  it('gives bytes that look uniform: never the pool zeroed behind a draw', () => {
    const counts = new Array<number>(256).fill(0);
    const draws = 4000;
    for (let i = 0; i < draws; i++) for (const byte of pooledRandomBytes(48)) counts[byte] = (counts[byte] ?? 0) + 1;
    const expected = (draws * 48) / 256;
    // Chi-square with 255 degrees of freedom: above 400 has probability < 1e-8 for uniform bytes.
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    assert.ok(chi2 < 400, `chi-square ${chi2}`);
  });
});

describe('uuidV7', () => {
  it('is an RFC 9562 version 7 UUID carrying the millisecond it was made for', () => {
    const ms = Date.UTC(2026, 10, 24, 12, 0, 0, 123);
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = uuidV7(ms + (i % 3));
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(uuidV7Millis(id), ms + (i % 3));
      ids.add(id);
    }
    assert.equal(ids.size, 1000);
    assert.equal(uuidV7Millis(uuidV7(0)), 0);
  });

  it('reads no time from anything but a version 7 UUID', () => {
    for (const s of [randomUUID(), '', 'not-a-uuid', uuidV7(1).toUpperCase(), `${uuidV7(1)}x`, 'h:digest']) {
      assert.equal(uuidV7Millis(s), undefined, s);
    }
  });
});

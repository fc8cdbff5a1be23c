import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pooledRandomBytes } from './random.js';

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

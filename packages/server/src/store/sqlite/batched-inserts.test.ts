import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreUnavailableError } from '../store-errors.js';
import { BatchedInserts } from './batched-inserts.js';

describe('BatchedInserts', () => {
  it('writes the rows of one turn in one batch, and settles each caller after it', async () => {
    const batches: number[][] = [];
    const b = new BatchedInserts<number>(
      () => assert.fail('no row-by-row retry without a failure'),
      (rows) => batches.push([...rows]),
    );
    const settled = Promise.all([b.add(1), b.add(2), b.add(3)]);
    assert.deepEqual(batches, [], 'nothing is written before the turn ends');
    await settled;
    await b.add(4);
    assert.deepEqual(batches, [[1, 2, 3], [4]]);
  });

  it('fails only the bad row of a failing batch', async () => {
    const written: number[] = [];
    const b = new BatchedInserts<number>(
      (row) => {
        if (row === 2) throw new Error('constraint');
        written.push(row);
      },
      () => {
        throw new Error('constraint');
      },
    );
    const results = await Promise.allSettled([b.add(1), b.add(2), b.add(3)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(written, [1, 3]);
  });

  it('fails the whole batch at once when the store is unavailable', async () => {
    let tries = 0;
    const b = new BatchedInserts<number>(
      () => tries++,
      () => {
        throw new StoreUnavailableError('busy');
      },
    );
    const results = await Promise.allSettled([b.add(1), b.add(2)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(tries, 0);
  });

  it('flush writes what is pending at once (before the database closes)', () => {
    const batches: number[][] = [];
    const b = new BatchedInserts<number>(
      () => {},
      (rows) => batches.push([...rows]),
    );
    void b.add(1);
    b.flush();
    assert.deepEqual(batches, [[1]]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchedInserts, WRITE_LATER } from './batched-inserts.js';
import { StoreUnavailableError } from './store-errors.js';

describe('BatchedInserts', () => {
  it('writes the rows of one turn in one batch, and settles each caller after it', async () => {
    const batches: number[][] = [];
    const b = new BatchedInserts<number>(
      () => assert.fail('no row-by-row retry without a failure'),
      (rows) => {
        batches.push([...rows]);
      },
    );
    const settled = Promise.all([b.add(1), b.add(2), b.add(3)]);
    assert.deepEqual(batches, [], 'nothing is written before the turn ends');
    await settled;
    await b.add(4);
    assert.deepEqual(batches, [[1, 2, 3], [4]]);
  });

  it('writes a batch answered WRITE_LATER at a later turn, first and with the rows added meanwhile', async () => {
    const tries: number[][] = [];
    let busy = 2;
    const b = new BatchedInserts<number>(
      () => assert.fail('no row-by-row retry without a failure'),
      (rows) => {
        tries.push([...rows]);
        if (busy-- > 0) return WRITE_LATER;
      },
      3,
    );
    let settled = 0;
    const first = [b.add(1), b.add(2), b.add(3), b.add(4)].map((p) => p.then(() => settled++));
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, 0, 'nothing settles while the store answers later');
    const second = b.add(5).then(() => settled++);
    await Promise.all([...first, second]);
    assert.equal(settled, 5);
    assert.deepEqual(tries, [
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('keeps retrying a store that answers WRITE_LATER for longer, then writes', async () => {
    let busy = 40;
    const written: number[] = [];
    const b = new BatchedInserts<number>(
      () => assert.fail('no row-by-row retry without a failure'),
      (rows) => {
        if (busy-- > 0) return WRITE_LATER;
        written.push(...rows);
      },
    );
    await Promise.all([b.add(1), b.add(2)]);
    assert.deepEqual(written, [1, 2]);
    assert.equal(busy, -1);
  });

  // SQLite's writer is synchronous, PostgreSQL's returns a promise: failures behave alike.
  for (const kind of ['synchronous', 'asynchronous'] as const) {
    const writer =
      <A>(write: (arg: A) => void) =>
      (arg: A) =>
        kind === 'synchronous' ? write(arg) : Promise.resolve().then(() => write(arg));

    it(`retries a failed batch row by row and fails only the bad row (${kind} writer)`, async () => {
      const written: number[] = [];
      const b = new BatchedInserts<number>(
        writer((row: number) => {
          if (row === 2) throw new Error('duplicate key');
          written.push(row);
        }),
        writer(() => {
          throw new Error('duplicate key');
        }),
      );
      const results = await Promise.allSettled([b.add(1), b.add(2), b.add(3)]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.deepEqual(written, [1, 3]);
    });

    it(`fails the whole batch at once when the store is unavailable (${kind} writer)`, async () => {
      let tries = 0;
      const b = new BatchedInserts<number>(
        writer(() => {
          tries++;
        }),
        writer(() => {
          throw new StoreUnavailableError('busy');
        }),
      );
      const results = await Promise.allSettled([b.add(1), b.add(2)]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['rejected', 'rejected'],
      );
      assert.equal(tries, 0);
    });
  }

  it('flush writes what is pending at once (before the database closes)', () => {
    const batches: number[][] = [];
    const b = new BatchedInserts<number>(
      () => {},
      (rows) => {
        batches.push([...rows]);
      },
    );
    void b.add(1);
    b.flush();
    assert.deepEqual(batches, [[1]]);
  });

  it('with an asynchronous writer, settles each caller when its batch has been written', async () => {
    const batches: number[][] = [];
    let finish: () => void = () => {};
    const b = new BatchedInserts<number>(
      () => assert.fail('no row-by-row retry without a failure'),
      (rows) =>
        new Promise<void>((resolve) => {
          batches.push([...rows]);
          finish = resolve;
        }),
    );
    let settled = false;
    const adds = Promise.all([b.add(1), b.add(2)]).then(() => {
      settled = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(batches, [[1, 2]]);
    assert.equal(settled, false, 'not settled while the write is in flight');
    finish();
    await adds;
  });

  it('hands the writer at most maxBatch rows at a time', async () => {
    const batches: number[][] = [];
    const b = new BatchedInserts<number>(
      () => {},
      (rows) => {
        batches.push([...rows]);
      },
      2,
    );
    await Promise.all([1, 2, 3, 4, 5].map((n) => b.add(n)));
    assert.deepEqual(batches, [[1, 2], [3, 4], [5]]);
  });

  it('drain writes what is pending and waits for every write in flight', async () => {
    const written: number[] = [];
    const b = new BatchedInserts<number>(
      async () => {},
      async (rows) => {
        await new Promise((r) => setTimeout(r, 20));
        written.push(...rows);
      },
    );
    void b.add(1);
    await new Promise((r) => setImmediate(r));
    void b.add(2);
    await b.drain();
    assert.deepEqual(written.sort(), [1, 2]);
  });
});

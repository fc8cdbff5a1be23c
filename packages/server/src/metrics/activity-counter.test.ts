import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { ActivityCounter, MAX_CLIENTS_PER_MINUTE, OTHER_CLIENTS } from './activity-counter.js';

const T = Date.UTC(2026, 11, 6, 20, 0, 0);

describe('ActivityCounter', () => {
  it(`counts the first ${MAX_CLIENTS_PER_MINUTE} clients of a minute apart and the rest under ${OTHER_CLIENTS}`, async () => {
    const store = new SqliteStore(':memory:');
    const counter = new ActivityCounter(store, () => T);
    for (let i = 0; i < MAX_CLIENTS_PER_MINUTE + 5; i++) counter.tokenIssued(`c${i}`);
    counter.tokenIssued('c0');
    counter.tokenIssued(`c${MAX_CLIENTS_PER_MINUTE + 1}`);
    await counter.flush();
    const counts = await store.listActivity(T, 60_000);
    assert.equal(counts.length, MAX_CLIENTS_PER_MINUTE + 1);
    assert.equal(counts.find((c) => c.key === 'c0')?.n, 2);
    assert.equal(counts.find((c) => c.key === OTHER_CLIENTS)?.n, 6);
    await store.close();
  });

  it('keeps the counts a write failed to store, and writes them with the next', async () => {
    const store = new SqliteStore(':memory:');
    let broken = true;
    const flaky = {
      addActivity: (counts: Parameters<typeof store.addActivity>[0]) =>
        broken ? Promise.reject(new Error('store down')) : store.addActivity(counts),
      listActivity: store.listActivity.bind(store),
      purgeActivity: store.purgeActivity.bind(store),
    };
    const warnings: unknown[] = [];
    let now = T;
    const counter = new ActivityCounter(flaky, () => now, { warn: (o: unknown) => warnings.push(o) });
    counter.tokenIssued('a');
    counter.authFailed('wrong_secret');
    await counter.flush();
    assert.equal(warnings.length, 1);
    // Still counted in the answer while unwritten.
    assert.deepEqual(
      (await counter.read(T, 60_000)).map((c) => [c.start, c.kind, c.key, c.n]),
      [
        [T, 'issued', 'a', 1],
        [T, 'failure', 'wrong_secret', 1],
      ],
    );
    // The next minute starts (its timer sets the minute aside), and its write fails too.
    now += 60_000;
    await counter.flush();
    assert.equal(warnings.length, 2);
    counter.tokenIssued('a');
    broken = false;
    await counter.flush();
    assert.deepEqual(
      (await store.listActivity(T, 60_000)).map((c) => [c.start, c.kind, c.key, c.n]).sort(),
      [
        [T, 'failure', 'wrong_secret', 1],
        [T, 'issued', 'a', 1],
        [T + 60_000, 'issued', 'a', 1],
      ].sort(),
    );
    await store.close();
  });

  it('writes what it counted when stopped', async () => {
    const store = new SqliteStore(':memory:');
    const counter = new ActivityCounter(store, () => T);
    counter.start();
    counter.tokenIssued('a');
    await counter.stop();
    assert.deepEqual(await store.listActivity(T, 60_000), [{ start: T, kind: 'issued', key: 'a', n: 1 }]);
    await store.close();
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSteps, type Step } from './maybe-async.js';

describe('runSteps', () => {
  const record =
    (name: string, wait = false): Step<string[]> =>
    (seen) => {
      seen.push(name);
      if (wait) return Promise.resolve();
    };

  it('runs every step synchronously when none waits: no promise at all', () => {
    const seen: string[] = [];
    const done = runSteps([record('a'), record('b'), record('c')], seen);
    assert.equal(done, undefined);
    assert.deepEqual(seen, ['a', 'b', 'c']);
  });

  it('goes on after a step that waits, in order, once it has finished', async () => {
    const seen: string[] = [];
    const done = runSteps([record('a'), record('b', true), record('c')], seen);
    assert.ok(done instanceof Promise);
    assert.deepEqual(seen, ['a', 'b'], 'the step after a waiting one has not run yet');
    await done;
    assert.deepEqual(seen, ['a', 'b', 'c']);
  });

  it('stops at a step that throws, synchronously or not', async () => {
    const seen: string[] = [];
    const boom: Step<string[]> = () => {
      throw new Error('sync');
    };
    assert.throws(() => runSteps([record('a'), boom, record('c')], seen), /sync/);
    const later: Step<string[]> = () => Promise.reject(new Error('async'));
    await assert.rejects(Promise.resolve(runSteps([record('d', true), later, record('e')], seen)), /async/);
    assert.deepEqual(seen, ['a', 'd']);
  });
});

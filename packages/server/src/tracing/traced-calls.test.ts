import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tracedCalls } from './traced-calls.js';
import type { CallTrace, Tracing } from './tracing.js';

/** A Tracing that records the calls it was asked to trace; `inRequest` says whether a request is being traced. */
function recorder(inRequest: boolean) {
  const calls: { system: string; operation: string; error?: unknown; ended: boolean }[] = [];
  const tracing = {
    startCall(system: string, operation: string): CallTrace | undefined {
      if (!inRequest) return undefined;
      const call: (typeof calls)[number] = { system, operation, ended: false };
      calls.push(call);
      return {
        end(error?: unknown) {
          call.ended = true;
          if (error !== undefined) call.error = error;
        },
      };
    },
  } as Tracing;
  return { tracing, calls };
}

class Backend {
  readonly kind = 'sqlite';
  #rows = new Map<string, string>([['a', '1']]);
  async get(key: string): Promise<string | undefined> {
    return this.#rows.get(key);
  }
  async fail(): Promise<void> {
    throw new TypeError('the row is malformed');
  }
  count(): number {
    return this.#rows.size;
  }
}

describe('tracedCalls', () => {
  it('traces each call, ending the span when the promise settles; private fields still work', async () => {
    const { tracing, calls } = recorder(true);
    const store = tracedCalls(new Backend(), 'sqlite', tracing);
    assert.equal(store.kind, 'sqlite');
    assert.equal(await store.get('a'), '1');
    assert.equal(store.count(), 1);
    await assert.rejects(store.fail(), TypeError);
    assert.deepEqual(
      calls.map(({ operation, ended, error }) => ({ operation, ended, failed: error instanceof TypeError })),
      [
        { operation: 'get', ended: true, failed: false },
        { operation: 'count', ended: true, failed: false },
        { operation: 'fail', ended: true, failed: true },
      ],
    );
    assert.ok(calls.every((c) => c.system === 'sqlite'));
  });

  it('outside a traced request the call goes straight through', async () => {
    const { tracing, calls } = recorder(false);
    const store = tracedCalls(new Backend(), 'sqlite', tracing);
    assert.equal(await store.get('a'), '1');
    assert.equal(calls.length, 0);
  });
});

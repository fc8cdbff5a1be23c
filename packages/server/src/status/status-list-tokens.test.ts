import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatusListContents } from '../store/types.js';
import type { SigningKeys } from '../tokens/signing-keys.js';
import { StatusListTokens } from './status-list-tokens.js';

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** Keys that sign with a fixed marker, enough to tell tokens apart. */
const keys = {
  current: () => ({ kid: 'k1', alg: 'EdDSA' }),
  sign: () => Buffer.from('sig'),
  noteSigned: () => {},
} as unknown as SigningKeys;

/** A store whose reads wait until released, answering with the revoked indexes at the time of the read. */
function slowStore() {
  let revoked: number[] = [];
  const pending: (() => void)[] = [];
  return {
    reads: 0,
    set(r: number[]) {
      revoked = r;
    },
    releaseAll() {
      for (const p of pending.splice(0)) p();
    },
    getStatusList(): Promise<StatusListContents | undefined> {
      this.reads++;
      const snapshot = [...revoked];
      return new Promise((resolve) => pending.push(() => resolve({ size: 64, revoked: snapshot, revokedBlocks: [] })));
    },
  };
}

const lstOf = (jwt: string | undefined) =>
  JSON.parse(Buffer.from((jwt as string).split('.')[1] as string, 'base64url').toString()).status_list.lst as string;

describe('StatusListTokens', () => {
  it('one read for a burst of requests; a change made during a read is never answered with that read', async () => {
    const store = slowStore();
    const tokens = new StatusListTokens(
      store,
      keys,
      'https://as.example',
      (id) => `u/${id}`,
      () => 0,
      64,
    );
    const burst = [tokens.get(ID), tokens.get(ID), tokens.get(ID)];
    assert.equal(store.reads, 1);
    // The revocation commits and is announced while that read is under way.
    store.set([3]);
    tokens.invalidate(ID);
    const afterEvent = tokens.get(ID);
    assert.equal(store.reads, 2, 'a request after the change reads again');
    store.releaseAll();
    const before = await Promise.all(burst);
    const after = await afterEvent;
    assert.notEqual(lstOf(after), lstOf(before[0]));
    // And what is kept now is the later read: the next request is served from memory, with the bit.
    store.releaseAll();
    const again = tokens.get(ID);
    store.releaseAll();
    assert.equal(lstOf(await again), lstOf(after));
  });

  it('404s ids that are not list ids without reading the store', async () => {
    const store = slowStore();
    const tokens = new StatusListTokens(
      store,
      keys,
      'https://as.example',
      (id) => `u/${id}`,
      () => 0,
      64,
    );
    for (const id of ['', 'short', `${ID}A`, 'AAAAAAAAAAAAAAAAAAAAA/', 'AAAAAAAAAAAAAAAAAAAA.A']) {
      assert.equal(await tokens.get(id), undefined);
    }
    assert.equal(store.reads, 0);
  });
});

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredClient } from '../clients/client.js';
import type { StatusBlockRecord } from '../store/types.js';
import { type IndexOptions, StatusIndexes } from './status-indexes.js';

const T = Date.UTC(2026, 11, 6, 12, 0, 0);
const OPTIONS: IndexOptions = { windowMs: 3_600_000, capacity: 4096, minBlock: 4, maxBlock: 64, marginMs: 60_000 };

function client(clientId: string, createdAt = 1, ttl = 600): StoredClient {
  return {
    clientId,
    createdAt,
    updatedAt: createdAt,
    secrets: [],
    metadata: {
      scope: '',
      audience: [],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      access_token_ttl: ttl,
      access_token_format: 'jwt',
      claims: {},
    },
  } as StoredClient;
}

/** A store that records block owners and can be made to wait or fail. */
function recordingStore() {
  const blocks: StatusBlockRecord[] = [];
  let gate: Promise<void> = Promise.resolve();
  let fail = false;
  return {
    blocks,
    hold() {
      let release!: () => void;
      gate = new Promise((r) => {
        release = r;
      });
      return () => release();
    },
    failNext() {
      fail = true;
    },
    async insertStatusBlock(b: StatusBlockRecord) {
      await gate;
      if (fail) {
        fail = false;
        throw new Error('store down');
      }
      blocks.push(b);
    },
  };
}

const uriOf = (id: string) => `https://as.example/oauth2/status-lists/${id}`;
const parse = (claim: string) =>
  (JSON.parse(`{${claim.slice(1)}}`) as { status: { status_list: { idx: number; uri: string } } }).status.status_list;
const take = async (ix: StatusIndexes, c: StoredClient, now = T, ttl = 600) => parse(await ix.claim(c, ttl, now));

describe('StatusIndexes', () => {
  it('writes one block owner per block, never per token, and answers from memory in between', async () => {
    const store = recordingStore();
    const ix = new StatusIndexes(store, uriOf, OPTIONS);
    const a = client('a');
    const first = ix.claim(a, 600, T);
    assert.ok(first instanceof Promise, 'the first token waits for its block');
    assert.equal(parse(await first).idx, 0);
    assert.equal(store.blocks.length, 1);
    // The rest of the block (4): synchronous, no write.
    const second = ix.claim(a, 600, T);
    assert.equal(typeof second, 'string');
    assert.equal(parse(second as string).idx, 1);
    assert.deepEqual(store.blocks[0], {
      listId: parse(second as string)
        .uri.split('/')
        .pop(),
      first: 0,
      size: 4,
      clientId: 'a',
      clientCreatedAt: 1,
      expiresAt: Math.floor(T / 3_600_000) * 3_600_000 + 3_600_000 + 600_000 + 60_000,
    });
  });

  it('opens the next block ahead, 4× larger, so a busy client never waits; blocks never overlap', async () => {
    const store = recordingStore();
    const ix = new StatusIndexes(store, uriOf, OPTIONS);
    const [a, b] = [client('a'), client('b')];
    const seen = new Set<number>();
    let waited = 0;
    for (let i = 0; i < 200; i++) {
      for (const c of [a, b]) {
        const claim = ix.claim(c, 600, T);
        if (claim instanceof Promise) waited++;
        const { idx } = parse(await claim);
        assert.ok(!seen.has(idx), `index ${idx} handed out twice`);
        seen.add(idx);
      }
      // Requests arrive through I/O: the block written ahead completes between them.
      await new Promise((r) => setImmediate(r));
    }
    // Each client waited for its first block only.
    assert.equal(waited, 2);
    const sizes = store.blocks.filter((x) => x.clientId === 'a').map((x) => x.size);
    assert.deepEqual(sizes.slice(0, 4), [4, 16, 64, 64]);
    assert.ok(store.blocks.length < 20, String(store.blocks.length));
  });

  it('concurrent first tokens of a client share one block opening', async () => {
    const store = recordingStore();
    const release = store.hold();
    const ix = new StatusIndexes(store, uriOf, OPTIONS);
    const a = client('a');
    const claims = Array.from({ length: 10 }, () => ix.claim(a, 600, T));
    release();
    const idxs = (await Promise.all(claims)).map((c) => parse(c).idx).sort((x, y) => x - y);
    assert.deepEqual(idxs, [...new Set(idxs)]);
    assert.equal(idxs.length, 10);
    // 10 tokens out of blocks of 4: one shared opening, then the rest as needed.
    assert.ok(store.blocks.length <= 4, String(store.blocks.length));
  });

  it('starts a new list each window, and when a list is full', async () => {
    const store = recordingStore();
    const ix = new StatusIndexes(store, uriOf, { ...OPTIONS, capacity: 8, maxBlock: 4 });
    const a = client('a');
    const first = await take(ix, a);
    const later = await take(ix, a, T + 3_600_000);
    assert.notEqual(later.uri, first.uri);
    const uris = new Set<string>();
    for (let i = 0; i < 20; i++) uris.add((await take(ix, a, T + 3_600_000)).uri);
    assert.ok(uris.size >= 3, 'a full list makes way for another');
  });

  it('a client re-created under its id gets a block of its own; a longer lifetime gets a longer-lived block', async () => {
    const store = recordingStore();
    const ix = new StatusIndexes(store, uriOf, OPTIONS);
    await take(ix, client('a', 1));
    await take(ix, client('a', 2));
    assert.deepEqual(
      store.blocks.map((b) => b.clientCreatedAt),
      [1, 2],
    );
    await take(ix, client('a', 2, 7200), T, 7200);
    assert.equal(store.blocks.length, 3);
    assert.ok((store.blocks[2] as StatusBlockRecord).expiresAt > (store.blocks[1] as StatusBlockRecord).expiresAt);
  });

  it('a failed block write fails the token; the next one opens the block again', async () => {
    const store = recordingStore();
    const ix = new StatusIndexes(store, uriOf, OPTIONS);
    store.failNext();
    await assert.rejects(Promise.resolve(ix.claim(client('a'), 600, T)), /store down/);
    assert.equal((await take(ix, client('a'))).idx >= 0, true);
    assert.equal(store.blocks.length, 1);
  });
});

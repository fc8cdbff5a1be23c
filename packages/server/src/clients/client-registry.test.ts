import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import { Sealer } from '../crypto/sealer.js';
import { SecretHasher } from '../crypto/secret-hasher.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { ChangeFeed } from '../sync/change-feed.js';
import { ClientRegistry, DEFAULT_REGISTRY_OPTIONS } from './client-registry.js';
import { followClientChanges } from './follow-client-changes.js';

/** A real SQLite store, with a hook run inside each read, and the reads counted. */
class CountingStore extends SqliteStore {
  reads = 0;
  duringRead: () => void = () => {};
  override async getClient(clientId: string) {
    this.reads++;
    this.duringRead();
    return super.getClient(clientId);
  }
  override async listStoredClients(after: string | undefined, limit: number) {
    this.reads++;
    this.duringRead();
    return super.listStoredClients(after, limit);
  }
}

/** A feed the test speaks through, as another node would. */
class TestFeed implements ChangeFeed {
  onChange: (c: { kind: 'client'; clientId: string }) => void = () => {};
  publish(): void {}
  subscribe(onChange: (c: { kind: 'client'; clientId: string }) => void): void {
    this.onChange = onChange;
  }
  async close(): Promise<void> {}
}

const key = randomBytes(32);
const body = (i: number) => ({
  client_id: `svc-${String(i).padStart(3, '0')}`,
  client_name: `Service ${i}`,
  scope: 'calendar.read calendar.write',
  audience: ['https://calendar.example'],
});

describe('ClientRegistry cache', () => {
  let store: CountingStore;
  let feed: TestFeed;
  const registry = (cacheSize = 1000) => {
    const r = new ClientRegistry(store, new SecretHasher(key), new Sealer(key), Date.now, feed, {
      ...DEFAULT_REGISTRY_OPTIONS,
      cacheSize,
    });
    followClientChanges(r, feed);
    return r;
  };

  beforeEach(async () => {
    store = new CountingStore(':memory:');
    feed = new TestFeed();
    const admin = registry();
    for (let i = 0; i < 25; i++) await admin.create(body(i));
  });

  it('warm() reads the registry a page at a time; each client is then answered without a read', async () => {
    const r = registry();
    assert.equal(await r.warm(() => false, 10), 25);
    assert.equal(store.reads, 4, 'three pages of 10, the last one short, and the empty one that ends it');
    for (let i = 0; i < 25; i++) {
      const id = body(i).client_id;
      const cached = await r.get(id);
      assert.deepEqual(cached, await store.getClient(id), 'the cached client equals the stored one');
    }
    assert.equal(store.reads, 4 + 25, 'only the test itself read the store');
  });

  it('a client registered here is cached as the store reads it back', async () => {
    const r = registry();
    const { client, secret } = await r.create(body(100));
    store.reads = 0;
    const cached = await r.get(client.clientId);
    assert.equal(store.reads, 0);
    assert.deepEqual(cached, await store.getClient(client.clientId));
    assert.ok(secret && cached && new SecretHasher(key).verify(secret, cached.secrets[0]?.hash ?? ''));
  });

  it('cached clients share one frozen copy of equal audiences', async () => {
    const r = registry();
    await r.warm();
    const [a, b] = await Promise.all([r.get('svc-001'), r.get('svc-002')]);
    assert.ok(a && b);
    assert.equal(a.metadata.audience, b.metadata.audience);
    assert.ok(Object.isFrozen(a.metadata.audience));
    assert.notEqual(a.metadata.client_name, b.metadata.client_name, 'what differs stays per client');
  });

  it('warm() stops when the cache is full, without evicting what is already cached', async () => {
    const r = registry(10);
    await r.get('svc-024');
    store.reads = 0;
    assert.equal(await r.warm(() => false, 4), 9);
    await r.get('svc-024');
    for (let i = 0; i < 9; i++) await r.get(body(i).client_id);
    assert.equal(store.reads, 3, 'pages of 4, 4 and 1; every client read since was cached');
  });

  it('warm() stops when told to', async () => {
    const r = registry();
    let pages = 0;
    assert.equal(await r.warm(() => ++pages > 2, 5), 10);
  });

  it('does not cache a page read while a change was heard; those clients are read on use', async () => {
    const r = registry();
    store.duringRead = () => feed.onChange({ kind: 'client', clientId: 'svc-003' });
    await r.warm(() => false, 100);
    store.duringRead = () => {};
    store.reads = 0;
    await r.get('svc-003');
    await r.get('svc-004');
    assert.equal(store.reads, 2);
  });

  it('does not cache a client read while a change was heard: the next use reads it again', async () => {
    const r = registry();
    store.duringRead = () => feed.onChange({ kind: 'client', clientId: 'svc-005' });
    await r.get('svc-005');
    store.duringRead = () => {};
    await r.get('svc-005');
    await r.get('svc-005');
    assert.equal(store.reads, 2, 'read again once, then cached');
  });

  it('a change heard from another node drops the cached client', async () => {
    const r = registry();
    await r.warm();
    store.reads = 0;
    feed.onChange({ kind: 'client', clientId: 'svc-007' });
    await r.get('svc-007');
    await r.get('svc-008');
    assert.equal(store.reads, 1);
  });
});

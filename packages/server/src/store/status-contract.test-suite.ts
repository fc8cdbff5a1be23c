import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import type { ClientMetadata, ClientRecord } from '../clients/client.js';
import type { StatusBlockRecord, StatusListContents, Store } from './types.js';

/**
 * Status lists (StatusListStore), part of the store contract
 * (contract.test-suite.ts). Expiries lie far after every other test's
 * times, so purging in those tests removes none of these rows.
 */
const T = 1_750_000_000_000;
const LIVE = T + 10 * 365 * 86_400_000;

const id = (prefix: string) => `${prefix}-${randomUUID()}`;

function clientRecord(clientId: string, at = T): ClientRecord {
  const metadata: ClientMetadata = {
    scope: '',
    audience: [],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    access_token_ttl: 300,
    access_token_format: 'jwt',
    claims: {},
  };
  return { clientId, metadata, createdAt: at, updatedAt: at };
}

function block(listId: string, first: number, size: number, clientId: string, over: Partial<StatusBlockRecord> = {}) {
  return { listId, first, size, clientId, clientCreatedAt: T, expiresAt: LIVE, ...over };
}

/** The statuses that are 1, sorted, blocks spelled out. */
function invalid(c: StatusListContents | undefined): number[] {
  assert.ok(c);
  const set = new Set(c.revoked);
  for (const [first, size] of c.revokedBlocks) for (let i = first; i < first + size; i++) set.add(i);
  return [...set].sort((a, b) => a - b);
}

export function statusLists(store: () => Store, openPeer?: () => Promise<Store>): void {
  it('a list exists while a block of it lives; its size is one past the last block', async () => {
    const list = id('list');
    assert.equal(await store().getStatusList(list, T), undefined);
    await store().insertStatusBlock(block(list, 0, 64, 'a'));
    await store().insertStatusBlock(block(list, 64, 256, 'b', { expiresAt: T + 1000 }));
    assert.deepEqual(await store().getStatusList(list, T), { size: 320, revoked: [], revokedBlocks: [] });
    // The second block has expired: the list is as long as the first.
    assert.deepEqual(await store().getStatusList(list, T + 1000), { size: 64, revoked: [], revokedBlocks: [] });
    assert.equal(await store().getStatusList(id('list'), T), undefined);
  });

  it('revokeStatus sets entries durably and names the lists it changed', async () => {
    const [l1, l2] = [id('list'), id('list')];
    await store().insertStatusBlock(block(l1, 0, 64, 'a'));
    await store().insertStatusBlock(block(l2, 0, 64, 'a'));
    const changed = await store().revokeStatus(
      id('jti'),
      [
        { listId: l1, idx: 5 },
        { listId: l2, idx: 63 },
      ],
      LIVE,
    );
    assert.deepEqual(changed.sort(), [l1, l2].sort());
    assert.deepEqual(invalid(await store().getStatusList(l1, T)), [5]);
    assert.deepEqual(invalid(await store().getStatusList(l2, T)), [63]);
    // Again: nothing breaks, nothing doubles.
    await store().revokeStatus(id('jti'), [{ listId: l1, idx: 5 }], LIVE);
    assert.deepEqual(invalid(await store().getStatusList(l1, T)), [5]);
  });

  it('revoking a token sets the entries linked under its jti (exchanged tokens), down the chain', async () => {
    const list = id('list');
    await store().insertStatusBlock(block(list, 0, 64, 'a'));
    const [root, child] = [id('jti'), id('jti')];
    const parent = { parentClientId: 'p', parentClientCreatedAt: T, expiresAt: LIVE };
    // The child (idx 1) was exchanged from root; the grandchild (idx 2) from child, and so from root.
    assert.deepEqual(
      await store().linkStatusEntries([
        { ...parent, parentJti: root, listId: list, idx: 1 },
        { ...parent, parentJti: root, listId: list, idx: 2 },
        { ...parent, parentJti: child, listId: list, idx: 2 },
      ]),
      [],
    );
    assert.deepEqual(invalid(await store().getStatusList(list, T)), []);
    assert.deepEqual(await store().revokeStatus(child, [{ listId: list, idx: 1 }], LIVE), [list]);
    assert.deepEqual(invalid(await store().getStatusList(list, T)), [1, 2]);
    await store().revokeStatus(root, [{ listId: list, idx: 0 }], LIVE);
    assert.deepEqual(invalid(await store().getStatusList(list, T)), [0, 1, 2]);
  });

  it('a link made after its ancestor was revoked sets its entry at once', async () => {
    const list = id('list');
    await store().insertStatusBlock(block(list, 0, 64, 'a'));
    const root = id('jti');
    await store().revokeJti(root, LIVE);
    await store().revokeStatus(root, [], LIVE);
    const changed = await store().linkStatusEntries([
      { parentJti: root, parentClientId: 'p', parentClientCreatedAt: T, listId: list, idx: 9, expiresAt: LIVE },
    ]);
    assert.deepEqual(changed, [list]);
    assert.deepEqual(invalid(await store().getStatusList(list, T)), [9]);
  });

  it('revokeClientStatus: every block of the client and every link under its tokens reads as invalid', async () => {
    const list = id('list');
    const c = clientRecord(id('c'));
    const other = clientRecord(id('c'));
    await store().insertClient(c, null);
    await store().insertClient(other, null);
    await store().insertStatusBlock(block(list, 0, 64, c.clientId));
    await store().insertStatusBlock(block(list, 64, 64, other.clientId));
    // A token of `other` (idx 70) exchanged from one of c's.
    await store().linkStatusEntries([
      {
        parentJti: id('jti'),
        parentClientId: c.clientId,
        parentClientCreatedAt: T,
        listId: list,
        idx: 70,
        expiresAt: LIVE,
      },
    ]);
    assert.deepEqual(await store().revokeClientStatus(c.clientId, LIVE), [list]);
    await store().deleteClient(c.clientId);
    const expected = [...Array.from({ length: 64 }, (_, i) => i), 70];
    assert.deepEqual(invalid(await store().getStatusList(list, T)), expected);
    // A block recorded later for the same client (a node that had not heard yet) is invalid too.
    await store().insertStatusBlock(block(list, 128, 64, c.clientId));
    assert.equal(invalid(await store().getStatusList(list, T)).length, 64 + 1 + 64);
  });

  it('a client re-created under the same id owns none of the old blocks, nor they its new ones', async () => {
    const list = id('list');
    const clientId = id('c');
    await store().insertClient(clientRecord(clientId, T), null);
    await store().insertStatusBlock(block(list, 0, 64, clientId));
    await store().revokeClientStatus(clientId, LIVE);
    await store().deleteClient(clientId);
    await store().insertClient(clientRecord(clientId, T + 5), null);
    await store().insertStatusBlock(block(list, 64, 64, clientId, { clientCreatedAt: T + 5 }));
    assert.deepEqual(await store().getStatusList(list, T), {
      size: 128,
      revoked: [],
      revokedBlocks: [[0, 64]],
    });
    // Revoking an unknown client changes nothing.
    assert.deepEqual(await store().revokeClientStatus(id('nobody'), LIVE), []);
  });

  it('an exchange linked while its ancestor is revoked elsewhere never leaves the child valid', async () => {
    const peer = openPeer ? await openPeer() : store();
    try {
      const list = id('list');
      await store().insertStatusBlock(block(list, 0, 64, 'a'));
      for (let i = 0; i < 20; i++) {
        const parent = id('jti');
        const link = {
          parentJti: parent,
          parentClientId: 'p',
          parentClientCreatedAt: T,
          listId: list,
          idx: i,
          expiresAt: LIVE,
        };
        // As the revocation endpoint does: the denylist first, then the status entries; the link races both.
        await Promise.all([
          store().linkStatusEntries([link]),
          peer.revokeJti(parent, LIVE).then(() => peer.revokeStatus(parent, [], LIVE)),
        ]);
      }
      assert.deepEqual(
        invalid(await store().getStatusList(list, T)),
        Array.from({ length: 20 }, (_, i) => i),
      );
    } finally {
      if (openPeer) await peer.close();
    }
  });

  it('purgeExpired removes status rows once expired', async () => {
    const list = id('list');
    const at = T + 20 * 365 * 86_400_000;
    await store().insertStatusBlock(block(list, 0, 8, 'a', { expiresAt: at }));
    await store().revokeStatus(id('jti'), [{ listId: list, idx: 3 }], at);
    assert.deepEqual(invalid(await store().getStatusList(list, at - 1)), [3]);
    assert.ok((await store().purgeExpired(at)) >= 2);
    assert.equal(await store().getStatusList(list, 0), undefined);
  });
}

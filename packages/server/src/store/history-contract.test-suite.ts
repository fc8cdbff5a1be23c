import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import type { ClientMetadata, ClientRecord, SecretRecord } from '../clients/client.js';
import type { TrustedIssuerRecord } from '../federation/trusted-issuer.js';
import {
  type ActivityCount,
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditEntry,
  type AuditRecord,
  DuplicateClientError,
  DuplicateIssuerError,
  type SigningKeyRecord,
  type Store,
} from './types.js';

/**
 * The audit log and the activity counts, part of the store contract
 * (contract.test-suite.ts runs these for every backend). The store is
 * shared with the other contract tests: each test uses ids of its own, and
 * times apart from every other test's.
 */

type Get = () => Store;
const T = 1_750_000_000_000;
/** Later than any other test's entries, so these are the newest in the log. */
const FUTURE = 8_000_000_000_000_000;

function id(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

function metadata(over: Partial<ClientMetadata> = {}): ClientMetadata {
  return {
    scope: 'read',
    audience: [],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    access_token_ttl: 300,
    access_token_format: 'jwt',
    claims: {},
    ...over,
  };
}

function client(clientId: string): ClientRecord {
  return { clientId, metadata: metadata(), createdAt: T, updatedAt: T };
}

function secret(over: Partial<SecretRecord> = {}): SecretRecord {
  return { id: id('sec'), hash: id('hash'), sealed: null, createdAt: T, expiresAt: null, ...over };
}

function signingKey(kid: string): SigningKeyRecord {
  return {
    kid,
    alg: 'ES256',
    publicJwk: '{}',
    sealedPrivateKey: 'sealed',
    createdAt: T,
    activatesAt: T,
    retiresAt: null,
  };
}

function trustedIssuer(issuer: string): TrustedIssuerRecord {
  return { id: randomUUID(), config: { issuer, kind: 'oidc', max_token_lifetime: 3600 }, createdAt: T, updatedAt: T };
}

function entry(action: AuditAction, target: string, at = T): AuditEntry {
  return { at, action, target, actor: 'admin-key:0123456789ab', address: '203.0.113.7' };
}

/** The entries about `target`, newest first, without the store's ids. */
async function entriesAbout(store: Store, target: string): Promise<AuditEntry[]> {
  const all: AuditRecord[] = [];
  let page = await store.listAudit(undefined, 500);
  while (page.length > 0) {
    all.push(...page);
    const last = page.at(-1) as AuditRecord;
    page = await store.listAudit({ at: last.at, id: last.id }, 500);
  }
  return all.filter((e) => e.target === target).map(({ id: _, ...e }) => e);
}

export function auditLog(store: Get): void {
  it('records an entry with each change, in its transaction, and none for a change not made', async () => {
    const c = client(id('audited'));
    const t = c.clientId;
    const expected: AuditEntry[] = [];
    const step = async (done: Promise<unknown>, e: AuditEntry | undefined) => {
      await done;
      if (e) expected.unshift(e);
      assert.deepEqual(await entriesAbout(store(), t), expected);
    };
    await step(store().insertClient(c, secret(), entry('client.create', t, T)), entry('client.create', t, T));
    await step(
      store().updateClient(t, metadata({ scope: 'a' }), T + 1, entry('client.update', t, T + 1)),
      entry('client.update', t, T + 1),
    );
    await step(
      store().updateClientSecrets(t, metadata(), T + 2, 'unseal', entry('client.update', t, T + 2)),
      entry('client.update', t, T + 2),
    );
    await step(
      store().addSecret(t, secret(), T + 3, T + 3, entry('client.secret.rotate', t, T + 3)),
      entry('client.secret.rotate', t, T + 3),
    );
    await step(store().deleteClient(t, entry('client.delete', t, T + 4)), entry('client.delete', t, T + 4));
    // Changes that change nothing: no entry.
    assert.equal(await store().deleteClient(t, entry('client.delete', t, T + 5)), false);
    assert.equal(await store().updateClient(t, metadata(), T + 5, entry('client.update', t, T + 5)), false);
    assert.equal(
      await store().updateClientSecrets(t, metadata(), T + 5, 'delete', entry('client.update', t, T + 5)),
      false,
    );
    assert.equal(await store().addSecret(t, secret(), T + 5, T + 5, entry('client.secret.rotate', t, T + 5)), false);
    await step(Promise.resolve(), undefined);

    const kid = id('kid');
    await store().rotateSigningKey(signingKey(kid), T + 10, 0, entry('key.rotate', kid, T + 6));
    assert.deepEqual(await entriesAbout(store(), kid), [entry('key.rotate', kid, T + 6)]);

    const ti = trustedIssuer(`https://${id('issuer')}.example`);
    await store().insertTrustedIssuer(ti, entry('trusted_issuer.create', ti.id, T + 7));
    await store().updateTrustedIssuer({ ...ti, updatedAt: T + 8 }, entry('trusted_issuer.update', ti.id, T + 8));
    await store().deleteTrustedIssuer(ti.id, entry('trusted_issuer.delete', ti.id, T + 9));
    assert.equal(await store().deleteTrustedIssuer(ti.id, entry('trusted_issuer.delete', ti.id, T + 10)), false);
    assert.equal(await store().updateTrustedIssuer(ti, entry('trusted_issuer.update', ti.id, T + 10)), false);
    assert.deepEqual(await entriesAbout(store(), ti.id), [
      entry('trusted_issuer.delete', ti.id, T + 9),
      entry('trusted_issuer.update', ti.id, T + 8),
      entry('trusted_issuer.create', ti.id, T + 7),
    ]);
  });

  it('a change that fails leaves no entry (atomic with the change)', async () => {
    // A taken client id.
    const taken = client(id('taken'));
    await store().insertClient(taken, null);
    await assert.rejects(
      store().insertClient(taken, null, entry('client.create', taken.clientId)),
      DuplicateClientError,
    );
    assert.deepEqual(await entriesAbout(store(), taken.clientId), []);

    // The secret insert fails after the client row and the entry were written: both roll back.
    const clash = secret();
    await store().insertClient(client(id('other')), clash);
    const c = client(id('clash'));
    await assert.rejects(store().insertClient(c, secret({ id: clash.id }), entry('client.create', c.clientId)));
    assert.equal(await store().getClient(c.clientId), undefined);
    assert.deepEqual(await entriesAbout(store(), c.clientId), []);

    // A rotation whose new secret clashes: nothing changes, no entry.
    const r = client(id('rotate'));
    const kept = secret();
    await store().insertClient(r, kept);
    await assert.rejects(
      store().addSecret(r.clientId, secret({ id: clash.id }), T, T, entry('client.secret.rotate', r.clientId)),
    );
    assert.deepEqual((await store().getClient(r.clientId))?.secrets, [kept]);
    assert.deepEqual(await entriesAbout(store(), r.clientId), []);

    // A key rotation whose kid is taken: no key retired, no entry.
    const kid = id('kid');
    await store().rotateSigningKey(signingKey(kid), T + 10, 0);
    const before = await store().listSigningKeys();
    await assert.rejects(store().rotateSigningKey(signingKey(kid), T + 20, 0, entry('key.rotate', `${kid}-again`)));
    assert.deepEqual(await store().listSigningKeys(), before);
    assert.deepEqual(await entriesAbout(store(), `${kid}-again`), []);

    // A trusted issuer whose issuer URL is taken: no second row, no entry.
    const first = trustedIssuer(`https://${id('issuer')}.example`);
    await store().insertTrustedIssuer(first);
    const twin = trustedIssuer(first.config.issuer);
    await assert.rejects(
      store().insertTrustedIssuer(twin, entry('trusted_issuer.create', twin.id)),
      DuplicateIssuerError,
    );
    assert.deepEqual(await entriesAbout(store(), twin.id), []);
  });

  it('lists newest first by (at, id), paging strictly before a position', async () => {
    const p = id('page');
    const ats = [FUTURE + 2, FUTURE + 1, FUTURE + 2, FUTURE + 3, FUTURE + 1];
    for (const [i, at] of ats.entries()) {
      await store().insertClient(client(`${p}/${i}`), null, { ...entry('client.create', `${p}/${i}`, at) });
    }
    const top = await store().listAudit(undefined, 5);
    // Newest `at` first; the same `at` in the order written, later first.
    assert.deepEqual(
      top.map((e) => e.target),
      [3, 2, 0, 4, 1].map((i) => `${p}/${i}`),
    );
    for (let i = 1; i < top.length; i++) {
      const [a, b] = [top[i - 1] as AuditRecord, top[i] as AuditRecord];
      assert.ok(a.at > b.at || (a.at === b.at && a.id > b.id), 'not (at, id) descending');
    }
    const paged: AuditRecord[] = [];
    let page = await store().listAudit(undefined, 2);
    while (paged.length < 5) {
      paged.push(...page);
      const last = page.at(-1) as AuditRecord;
      page = await store().listAudit({ at: last.at, id: last.id }, 2);
    }
    assert.deepEqual(paged.slice(0, 5), top);
    assert.deepEqual(await store().listAudit(undefined, 0), []);
  });

  it('keeps every action name and any text in its fields exactly', async () => {
    for (const action of AUDIT_ACTIONS) {
      const target = id(`odd "target" é ${action}`);
      const e = { ...entry(action, target), actor: 'console:abcdef012345', address: '2001:db8::1' };
      await store().rotateSigningKey(signingKey(id('kid')), T + 10, 0, e);
      assert.deepEqual(await entriesAbout(store(), target), [e]);
    }
  });

  it('purges entries older than a time, counting them; purges running at once remove each entry once', async () => {
    const p = id('purge');
    for (const at of [1000, 1999, 2000, 2001]) {
      await store().insertClient(client(`${p}/${at}`), null, entry('client.create', `${p}/${at}`, at));
    }
    const counts = await Promise.all([store().purgeAudit(2000), store().purgeAudit(2000), store().purgeAudit(2000)]);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      2,
    );
    assert.deepEqual(await entriesAbout(store(), `${p}/1000`), []);
    assert.deepEqual(await entriesAbout(store(), `${p}/1999`), []);
    assert.equal((await entriesAbout(store(), `${p}/2000`)).length, 1);
    assert.equal(await store().purgeAudit(2000), 0);
  });
}

export function activity(store: Get): void {
  const sorted = (counts: ActivityCount[]) =>
    [...counts].sort((a, b) => a.start - b.start || a.kind.localeCompare(b.kind) || a.key.localeCompare(b.key));
  const mine = (counts: ActivityCount[], keys: readonly string[]) => sorted(counts.filter((c) => keys.includes(c.key)));

  it('adds counts to the stored ones, and sums them by bucket', async () => {
    const base = 1_760_000_400_000; // on the hour
    const [a, b] = [id('client'), id('client')];
    await store().addActivity([
      { start: base, kind: 'issued', key: a, n: 3 },
      { start: base, kind: 'issued', key: a, n: 2 },
      { start: base + 60_000, kind: 'issued', key: b, n: 1 },
      { start: base + 60_000, kind: 'failure', key: a, n: 4 },
    ]);
    await store().addActivity([{ start: base, kind: 'issued', key: a, n: 10 }]);
    await store().addActivity([]);
    assert.deepEqual(
      mine(await store().listActivity(base, 60_000), [a, b]),
      sorted([
        { start: base, kind: 'issued', key: a, n: 15 },
        { start: base + 60_000, kind: 'failure', key: a, n: 4 },
        { start: base + 60_000, kind: 'issued', key: b, n: 1 },
      ]),
    );
    // Hour buckets: base is on the hour, so both minutes fall in the one that starts at base.
    assert.equal(base % 3_600_000, 0);
    assert.deepEqual(
      mine(await store().listActivity(base, 3_600_000), [a, b]),
      sorted([
        { start: base, kind: 'failure', key: a, n: 4 },
        { start: base, kind: 'issued', key: a, n: 15 },
        { start: base, kind: 'issued', key: b, n: 1 },
      ]),
    );
    assert.deepEqual(mine(await store().listActivity(base + 60_000, 60_000), [a, b]).length, 2);
  });

  it('adds concurrent writers’ counts exactly (one upsert-add per writer)', async () => {
    const base = T + 20_000_000_000;
    const keys = Array.from({ length: 20 }, () => id('client'));
    await Promise.all(
      Array.from({ length: 8 }, (_, w) =>
        store().addActivity(
          (w % 2 ? [...keys].reverse() : keys).map((key) => ({ start: base, kind: 'issued' as const, key, n: w + 1 })),
        ),
      ),
    );
    assert.deepEqual(
      mine(await store().listActivity(base, 60_000), keys).map((c) => c.n),
      keys.map(() => 36),
    );
  });

  it('purges counts that start before a time; purges running at once remove each once', async () => {
    const base = 60_000;
    const key = id('client');
    await store().addActivity([0, 60_000, 120_000].map((d) => ({ start: base + d, kind: 'failure', key, n: 1 })));
    const counts = await Promise.all([store().purgeActivity(base + 120_000), store().purgeActivity(base + 120_000)]);
    assert.equal(
      counts.reduce((x, y) => x + y, 0),
      2,
    );
    assert.deepEqual(mine(await store().listActivity(0, 60_000), [key]), [
      { start: base + 120_000, kind: 'failure', key, n: 1 },
    ]);
  });
}

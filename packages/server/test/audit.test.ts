import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { LightMyRequestResponse } from 'fastify';
import { AuditActors } from '../src/admin/audit-actor.js';
import { ADMIN_KEY, type Harness, startHarness } from './harness.js';

/**
 * The audit log through the admin API: every admin change is in it, with
 * who and from where, newest first; pages; nothing but the change's
 * outcome is written (a refused change writes nothing); never a secret;
 * old entries are purged.
 */

const PROXY = '10.0.0.1';
const PREVIOUS_KEY = 'previous-admin-key-0123456789';

interface Entry {
  at: string;
  action: string;
  target: string;
  actor: string;
  address: string;
}

/** Every entry, through the API, following next_cursor. */
async function allEntries(h: Harness, limit = 200): Promise<Entry[]> {
  const items: Entry[] = [];
  let cursor: string | null = null;
  do {
    const r = await h.admin('GET', `/admin/audit?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.statusCode, 200, r.body);
    items.push(...r.json().items);
    cursor = r.json().next_cursor;
  } while (cursor);
  return items;
}

function adminAs(h: Harness, key: string, from: string, forwardedFor?: string) {
  return (method: 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<LightMyRequestResponse> =>
    h.inject({
      method,
      url,
      remoteAddress: from,
      headers: { authorization: `Bearer ${key}`, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
      ...(body === undefined ? {} : { payload: body as object }),
    });
}

describe('audit log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-audit-'));
  const dbPath = join(dir, 'tessera.db');
  const encryptionKey = randomBytes(32);
  let h: Harness;
  before(async () => {
    h = await startHarness(
      {},
      {
        TESSERA_DATABASE_URL: `sqlite:${dbPath}`,
        TESSERA_ENCRYPTION_KEY: encryptionKey.toString('base64url'),
        TESSERA_ADMIN_KEY_PREVIOUS: PREVIOUS_KEY,
        TESSERA_TRUST_PROXY: PROXY,
      },
    );
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records each admin change, newest first, with the admin key named (not shown) and the client address', async () => {
    const admin = adminAs(h, ADMIN_KEY, PROXY, '198.51.100.7');
    const t0 = h.clock.ms;
    const created = await admin('POST', '/admin/clients', { client_id: 'audit-1', scope: 'a' });
    assert.equal(created.statusCode, 201);
    h.clock.advance(1);
    assert.equal((await admin('PATCH', '/admin/clients/audit-1', { scope: 'a b' })).statusCode, 200);
    h.clock.advance(1);
    assert.equal((await admin('POST', '/admin/clients/audit-1/secrets', { previous_secret_ttl: 60 })).statusCode, 201);
    h.clock.advance(1);
    const key = await admin('POST', '/admin/keys/rotate');
    assert.equal(key.statusCode, 201);
    h.clock.advance(1);
    // The previous admin key, from an address no proxy speaks for: its own name, the peer's address.
    const other = adminAs(h, PREVIOUS_KEY, '192.0.2.9', '203.0.113.66');
    assert.equal((await other('DELETE', '/admin/clients/audit-1')).statusCode, 204);

    const entries = (await allEntries(h)).slice(0, 5);
    const actor = new AuditActors(encryptionKey).adminKey(ADMIN_KEY);
    const previousActor = new AuditActors(encryptionKey).adminKey(PREVIOUS_KEY);
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    assert.deepEqual(entries, [
      { at: at(4), action: 'client.delete', target: 'audit-1', actor: previousActor, address: '192.0.2.9' },
      { at: at(3), action: 'key.rotate', target: key.json().kid, actor, address: '198.51.100.7' },
      { at: at(2), action: 'client.secret.rotate', target: 'audit-1', actor, address: '198.51.100.7' },
      { at: at(1), action: 'client.update', target: 'audit-1', actor, address: '198.51.100.7' },
      { at: at(0), action: 'client.create', target: 'audit-1', actor, address: '198.51.100.7' },
    ]);
    assert.match(actor, /^admin-key:[0-9a-f]{12}$/);
    assert.notEqual(actor, previousActor);
    // A keyed digest: not the key's plain SHA-256, which a dump would let anyone test guesses against.
    const plain = createHash('sha256').update(ADMIN_KEY).digest('hex');
    assert.ok(!plain.startsWith(actor.slice('admin-key:'.length)));
    assert.equal(entries[0]?.at, new Date(entries[0]?.at ?? '').toISOString(), 'RFC 3339');
  });

  it('records trusted-issuer changes (create, update, delete) with actor and address, and nothing for a refused one', async () => {
    const admin = adminAs(h, ADMIN_KEY, PROXY, '198.51.100.8');
    const t0 = h.clock.ms;
    const body = { issuer: 'https://cluster.example', jwks_uri: 'https://cluster.example/openid/v1/jwks' };
    const created = await admin('POST', '/admin/trusted-issuers', body);
    assert.equal(created.statusCode, 201, created.body);
    const id: string = created.json().id;
    assert.equal((await admin('POST', '/admin/trusted-issuers', body)).statusCode, 409);
    h.clock.advance(1);
    assert.equal((await admin('PATCH', `/admin/trusted-issuers/${id}`, { max_token_lifetime: 600 })).statusCode, 200);
    h.clock.advance(1);
    assert.equal((await admin('DELETE', `/admin/trusted-issuers/${id}`)).statusCode, 204);
    assert.equal((await admin('DELETE', `/admin/trusted-issuers/${id}`)).statusCode, 404);

    const actor = new AuditActors(encryptionKey).adminKey(ADMIN_KEY);
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    assert.deepEqual((await allEntries(h)).slice(0, 3), [
      { at: at(2), action: 'trusted_issuer.delete', target: id, actor, address: '198.51.100.8' },
      { at: at(1), action: 'trusted_issuer.update', target: id, actor, address: '198.51.100.8' },
      { at: at(0), action: 'trusted_issuer.create', target: id, actor, address: '198.51.100.8' },
    ]);
  });

  it('records nothing for a change refused or not made', async () => {
    const before = await allEntries(h);
    const refused = [
      await h.admin('POST', '/admin/clients', { access_token_format: 'paper' }),
      await h.admin('POST', '/admin/clients', { client_id: 'audit-dup' }),
      await h.admin('POST', '/admin/clients', { client_id: 'audit-dup' }),
      await h.admin('PATCH', '/admin/clients/audit-nope', { scope: 'x' }),
      await h.admin('PATCH', '/admin/clients/audit-dup', { access_token_ttl: -1 }),
      await h.admin('DELETE', '/admin/clients/audit-nope'),
      await h.admin('POST', '/admin/clients/audit-nope/secrets', {}),
      await h.admin('POST', '/admin/clients/audit-dup/secrets', { previous_secret_ttl: -5 }),
      await h.inject({
        method: 'POST',
        url: '/admin/keys/rotate',
        headers: { authorization: 'Bearer wrong-key-0123456789' },
      }),
    ].map((r) => r.statusCode);
    assert.deepEqual(refused, [400, 201, 409, 404, 400, 404, 404, 400, 401]);
    const after = await allEntries(h);
    assert.deepEqual(
      after.slice(0, after.length - before.length).map((e) => [e.action, e.target]),
      [['client.create', 'audit-dup']],
    );
  });

  it('pages newest first: limit, an opaque cursor, next_cursor null at the end', async () => {
    for (let i = 0; i < 7; i++) {
      h.clock.advance(1);
      await h.createClient({ client_id: `audit-page-${i}` });
    }
    const all = await allEntries(h);
    for (let i = 1; i < all.length; i++) {
      assert.ok((all[i - 1]?.at ?? '') >= (all[i]?.at ?? ''), 'newest first');
    }
    assert.deepEqual(
      all.slice(0, 7).map((e) => e.target),
      [6, 5, 4, 3, 2, 1, 0].map((i) => `audit-page-${i}`),
    );
    assert.deepEqual(await allEntries(h, 3), all);
    assert.deepEqual(await allEntries(h, 1), all);
    const first = (await h.admin('GET', '/admin/audit?limit=3')).json();
    assert.equal(first.items.length, 3);
    assert.equal(typeof first.next_cursor, 'string');
    const last = (await h.admin('GET', `/admin/audit?limit=200&cursor=${first.next_cursor}`)).json();
    assert.deepEqual([...first.items, ...last.items], all);
    assert.equal(last.next_cursor, null);
    // Without a limit: the admin lists' default, 50.
    assert.equal((await h.admin('GET', '/admin/audit')).json().items.length, Math.min(50, all.length));
  });

  it('answers 400 invalid_request to a bad limit or cursor', async () => {
    const clientCursor = (await h.admin('GET', '/admin/clients?limit=1')).json().next_cursor;
    const forged = Buffer.from('a1:99999999999999999:1').toString('base64url');
    const cases: [string, string][] = [
      ['limit=0', 'limit must be an integer from 1 to 200'],
      ['limit=201', 'limit must be an integer from 1 to 200'],
      ['limit=abc', 'limit must be an integer from 1 to 200'],
      ['limit=1&limit=2', 'limit must be an integer from 1 to 200'],
      ['cursor=nope', 'invalid cursor'],
      [`cursor=${clientCursor}`, 'invalid cursor'],
      [`cursor=${forged}`, 'invalid cursor'],
      [`cursor=${'x'.repeat(500)}`, 'invalid cursor'],
      ['cursor=a&cursor=b', 'invalid cursor'],
    ];
    for (const [query, description] of cases) {
      const r = await h.admin('GET', `/admin/audit?${query}`);
      assert.equal(r.statusCode, 400, query);
      assert.deepEqual(r.json(), { error: 'invalid_request', error_description: description }, query);
    }
    const noKey = await h.inject({ method: 'GET', url: '/admin/audit' });
    assert.equal(noKey.statusCode, 401);
  });

  it('never holds a secret, a hash, a sealed value or the admin key', async () => {
    const secrets: string[] = [];
    const keep = (r: LightMyRequestResponse) => {
      const s = r.json().client_secret;
      if (typeof s === 'string') secrets.push(s);
      return r;
    };
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    keep(await h.admin('POST', '/admin/clients', { client_id: 'secret-basic' }));
    keep(
      await h.admin('POST', '/admin/clients', {
        client_id: 'secret-jwt',
        token_endpoint_auth_method: 'client_secret_jwt',
      }),
    );
    keep(
      await h.admin('POST', '/admin/clients', {
        client_id: 'secret-imported',
        client_secret: `imported-${randomBytes(24).toString('hex')}`,
      }),
    );
    keep(
      await h.admin('POST', '/admin/clients', {
        client_id: 'secret-pkjwt',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [publicKey.export({ format: 'jwk' })] },
      }),
    );
    for (const id of ['secret-basic', 'secret-jwt', 'secret-imported']) {
      keep(await h.admin('POST', `/admin/clients/${id}/secrets`, { previous_secret_ttl: 30 }));
      keep(await h.admin('POST', `/admin/clients/${id}/secrets`, {}));
    }
    // Back to a secret method: a new secret is issued, shown once.
    keep(await h.admin('PATCH', '/admin/clients/secret-pkjwt', { token_endpoint_auth_method: 'client_secret_post' }));
    keep(await h.admin('PATCH', '/admin/clients/secret-basic', { token_endpoint_auth_method: 'client_secret_jwt' }));
    assert.equal(secrets.length, 11);
    const imported = 'imported-secret-never-in-the-log-0123456789';
    keep(await h.admin('POST', '/admin/clients', { client_id: 'secret-imported-2', client_secret: imported }));

    const db = new Database(dbPath, { readonly: true });
    let stored: string[];
    let rawLog: string;
    try {
      const rows = db.prepare('SELECT hash, sealed FROM client_secrets').all() as {
        hash: string;
        sealed: string | null;
      }[];
      stored = rows.flatMap((r) => [r.hash, r.hash.split('$').at(-1) ?? '', ...(r.sealed ? [r.sealed] : [])]);
      rawLog = JSON.stringify(db.prepare('SELECT * FROM audit_log').all());
    } finally {
      db.close();
    }
    const body = JSON.stringify(await allEntries(h));
    const forbidden = [...secrets, imported, ...stored, ADMIN_KEY, PREVIOUS_KEY];
    assert.ok(stored.length >= 10);
    for (const text of [body, rawLog]) {
      for (const s of forbidden) assert.ok(!text.includes(s), `found ${s.slice(0, 12)}… in the audit log`);
      // Nor anything shaped like one.
      assert.doesNotMatch(text, /tessera_cs_|hmac-sha256|v1\./);
    }
    assert.match(body, /"secret-imported-2"/);
  });
});

describe('audit log retention', () => {
  it('purges entries older than TESSERA_AUDIT_RETENTION_DAYS, hourly and on demand; 0 keeps them', async () => {
    for (const days of ['1', '0']) {
      const h = await startHarness({}, { TESSERA_AUDIT_RETENTION_DAYS: days });
      try {
        await h.createClient({ client_id: 'old' });
        h.clock.advance(24 * 3600 - 1);
        await h.createClient({ client_id: 'one-second-younger-than-a-day' });
        h.clock.advance(1);
        await h.createClient({ client_id: 'new' });
        const purged = await h.tessera.retention.purge();
        const targets = (await allEntries(h)).map((e) => e.target);
        if (days === '1') {
          // Strictly older than a day goes; exactly a day old stays.
          assert.equal(purged.audit, 0);
          h.clock.advance(1);
          assert.equal((await h.tessera.retention.purge()).audit, 1);
          assert.deepEqual(
            (await allEntries(h)).map((e) => e.target),
            ['new', 'one-second-younger-than-a-day'],
          );
        } else {
          h.clock.advance(3650 * 24 * 3600);
          assert.equal((await h.tessera.retention.purge()).audit, 0);
          assert.deepEqual(targets, ['new', 'one-second-younger-than-a-day', 'old']);
        }
      } finally {
        await h.close();
      }
    }
  });

  it('refuses a bad TESSERA_AUDIT_RETENTION_DAYS at start', async () => {
    for (const bad of ['-1', '1.5', 'ninety']) {
      await assert.rejects(startHarness({}, { TESSERA_AUDIT_RETENTION_DAYS: bad }), /TESSERA_AUDIT_RETENTION_DAYS/);
    }
  });
});

describe('audit log atomicity through HTTP', () => {
  it('a change the store cannot commit (503) leaves no entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-audit-lock-'));
    const dbPath = join(dir, 'tessera.db');
    const h = await startHarness({}, { TESSERA_DATABASE_URL: `sqlite:${dbPath}` });
    try {
      const intruder = new Database(dbPath);
      intruder.exec('BEGIN EXCLUSIVE');
      let r: LightMyRequestResponse;
      try {
        r = await h.admin('POST', '/admin/clients', { client_id: 'never-written' });
      } finally {
        intruder.exec('ROLLBACK');
        intruder.close();
      }
      assert.equal(r.statusCode, 503);
      assert.equal((await h.admin('GET', '/admin/clients/never-written')).statusCode, 404);
      assert.deepEqual(
        (await allEntries(h)).filter((e) => e.target === 'never-written'),
        [],
      );
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

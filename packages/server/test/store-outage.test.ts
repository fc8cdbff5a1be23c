import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { TEST_POSTGRES_URL, useTestSchemas } from '../src/store/postgres/test-database.test-suite.js';
import { basic, type Harness, startHarness } from './harness.js';
import { TcpProxy } from './tcp-proxy.js';

const UNAVAILABLE = { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable' };

/**
 * A store that cannot answer: requests that need it get 503 with
 * Retry-After (never a 500, never a hang past the busy timeout), and service
 * comes back by itself. The fault is real: another connection holds the
 * SQLite write lock, as a stuck process or a long backup would.
 */
describe('store outage (real SQLite lock)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-outage-'));
  const dbPath = join(dir, 'tessera.db');
  let h: Harness;
  let c: { client_id: string; client_secret: string };
  before(async () => {
    h = await startHarness(
      {},
      { TESSERA_DATABASE_URL: `sqlite:${dbPath}`, TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url') },
    );
    c = await h.createClient({ scope: 'a', access_token_format: 'opaque' });
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 + Retry-After while the database is locked, then recovers', async () => {
    const intruder = new Database(dbPath);
    intruder.exec('BEGIN EXCLUSIVE');
    try {
      const started = Date.now();
      // Issuing an opaque token writes a row: it waits out the busy timeout, then gives up cleanly.
      const r = await h.token(
        { grant_type: 'client_credentials' },
        { authorization: basic(c.client_id, c.client_secret) },
      );
      assert.equal(r.statusCode, 503);
      assert.equal(r.headers['retry-after'], '1');
      assert.deepEqual(r.json(), UNAVAILABLE);
      assert.ok(Date.now() - started < 8000);
      const admin = await h.admin('POST', '/admin/clients', { scope: 'b' });
      assert.equal(admin.statusCode, 503);
    } finally {
      intruder.exec('ROLLBACK');
      intruder.close();
    }
    const r = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(c.client_id, c.client_secret) },
    );
    assert.equal(r.statusCode, 200);
    assert.equal((await h.admin('POST', '/admin/clients', { scope: 'b' })).statusCode, 201);
  });
});

/**
 * PostgreSQL that accepts connections and never answers (a hung server, a
 * network that drops packets): a proxy in front of the real database stops
 * forwarding. Each request that needs the store answers 503 within the
 * configured query timeout, not a multiple of it.
 */
describe('store outage (PostgreSQL frozen behind a proxy)', () => {
  const schemas = useTestSchemas();
  /** Set in the URL, as an operator would (node-postgres reads it there). */
  const QUERY_TIMEOUT_MS = 1500;
  let proxy: TcpProxy;
  let h: Harness;
  let c: { client_id: string; client_secret: string };
  before(async () => {
    const target = new URL(TEST_POSTGRES_URL);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    const url = new URL(TEST_POSTGRES_URL);
    url.port = String(proxy.port);
    url.searchParams.set('options', `-c search_path=${await schemas.freshSchema()}`);
    url.searchParams.set('query_timeout', String(QUERY_TIMEOUT_MS));
    h = await startHarness({}, { TESSERA_DATABASE_URL: url.toString() });
    c = await h.createClient({ scope: 'a', access_token_format: 'opaque' });
  });
  after(async () => {
    proxy?.thaw();
    await h?.close();
    await proxy?.down();
  });

  it('answers 503 + Retry-After within the query timeout, then recovers', async () => {
    // Pooled connections are open and idle: the frozen ones are the ones the next requests get.
    assert.equal((await h.admin('GET', `/admin/clients/${c.client_id}`)).statusCode, 200);
    proxy.freeze();
    const requests = {
      'admin write (a transaction)': () => h.admin('POST', '/admin/clients', { scope: 'b' }),
      'opaque token (an insert)': () =>
        h.token({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, c.client_secret) }),
      'admin read (a list)': () => h.admin('GET', '/admin/clients?limit=1'),
    };
    for (const [name, send] of Object.entries(requests)) {
      const started = Date.now();
      const r = await send();
      const ms = Date.now() - started;
      assert.equal(r.statusCode, 503, `${name}: ${r.body}`);
      assert.equal(r.headers['retry-after'], '1');
      assert.deepEqual(r.json(), UNAVAILABLE);
      // Twice the timeout was the old answer time (a ROLLBACK waited out a second timeout; a new connection waited 3 s).
      assert.ok(ms < QUERY_TIMEOUT_MS * 1.5, `${name}: answered after ${ms} ms`);
    }
    proxy.thaw();
    assert.equal((await h.admin('POST', '/admin/clients', { scope: 'b' })).statusCode, 201);
    const r = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(c.client_id, c.client_secret) },
    );
    assert.equal(r.statusCode, 200);
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { basic, type Harness, startHarness } from './harness.js';

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
      assert.deepEqual(r.json(), {
        error: 'temporarily_unavailable',
        error_description: 'the service is temporarily unavailable',
      });
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

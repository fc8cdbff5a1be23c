import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load-config.js';
import { createTessera } from '../src/server.js';
import { ADMIN_KEY, basic } from './harness.js';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

/**
 * Files that hold clients, sealed keys and the key that opens them are
 * readable by their owner only, also when Tessera writes into a folder that
 * already exists with a permissive mode (the usual /var/lib/tessera, 0755).
 */
describe('file modes in a pre-existing data folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-modes-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the database, its -wal and -shm, and the generated key file 0600', async () => {
    const data = join(dir, 'data');
    mkdirSync(data, { mode: 0o755 });
    const db = join(data, 'tessera.db');
    // No TESSERA_ENCRYPTION_KEY: the key is generated into tessera.db.key.
    const config = loadConfig({ TESSERA_DATABASE_URL: `sqlite:${db}`, TESSERA_ADMIN_KEY: ADMIN_KEY });
    // The common umask, whatever this machine's is: it alone would leave files 0644.
    const previous = process.umask(0o022);
    const tessera = await createTessera(config, { logger: pino({ level: 'silent' }) }).finally(() =>
      process.umask(previous),
    );
    try {
      // An opaque token is written through the second (writer) connection too.
      const created = await tessera.app.inject({
        method: 'POST',
        url: '/admin/clients',
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
        payload: { scope: 'a', access_token_format: 'opaque' },
      });
      const c = created.json();
      const token = await tessera.app.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: {
          authorization: basic(c.client_id, c.client_secret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: 'grant_type=client_credentials',
      });
      assert.equal(token.statusCode, 200, token.body);
      assert.deepEqual(
        ['tessera.db', 'tessera.db-wal', 'tessera.db-shm', 'tessera.db.key'].map((f) => [f, mode(join(data, f))]),
        [
          ['tessera.db', '600'],
          ['tessera.db-wal', '600'],
          ['tessera.db-shm', '600'],
          ['tessera.db.key', '600'],
        ],
      );
      assert.equal(mode(data), '755', 'a folder the operator made keeps its mode');
    } finally {
      await tessera.close();
    }
  });
});

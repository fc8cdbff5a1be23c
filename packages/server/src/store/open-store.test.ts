import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from './open-store.js';
import { TEST_POSTGRES_URL, useTestSchemas } from './postgres/test-database.test-suite.js';

const { freshSchema } = useTestSchemas();
const dir = mkdtempSync(join(tmpdir(), 'tessera-open-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('openStore', () => {
  it('opens in-memory SQLite with no key file', async () => {
    const { store, keyFile } = await openStore('sqlite::memory:');
    assert.equal(store.kind, 'sqlite');
    assert.equal(keyFile, undefined);
    await store.close();
  });

  it('opens a SQLite file with its key file beside it', async () => {
    const path = join(dir, 'tessera.db');
    const { store, keyFile } = await openStore(`sqlite:${path}`);
    assert.equal(store.kind, 'sqlite');
    assert.equal(keyFile, `${path}.key`);
    await store.close();
  });

  for (const scheme of ['postgres', 'postgresql']) {
    it(`opens ${scheme}:// URLs in PostgreSQL, key file under ./data`, async () => {
      // The search_path rides in the URL, as an operator would set it.
      const url = new URL(TEST_POSTGRES_URL);
      url.protocol = `${scheme}:`;
      url.searchParams.set('options', `-c search_path=${await freshSchema()}`);
      const { store, keyFile } = await openStore(url.href);
      assert.equal(store.kind, 'postgres');
      assert.equal(keyFile, resolve('data/tessera.key'));
      await store.ping();
      await store.close();
    });
  }

  it('refuses any other URL', async () => {
    await assert.rejects(openStore('mysql://localhost/tessera'), /unsupported database URL/);
  });
});

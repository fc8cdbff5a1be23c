import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runStoreContract } from '../contract.test-suite.js';
import { migrations } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runStoreContract('sqlite :memory:', async () => new SqliteStore(':memory:'));
runStoreContract('sqlite file', async () => new SqliteStore(join(dir, 'contract', 'tessera.db')));

describe('SqliteStore', () => {
  it('is of kind sqlite', async () => {
    const store = new SqliteStore(':memory:');
    assert.equal(store.kind, 'sqlite');
    await store.close();
  });

  it('leaves a schema newer than its migrations as it is', async () => {
    const path = join(dir, 'newer.db');
    await new SqliteStore(path).close();
    const db = new Database(path);
    db.pragma(`user_version = ${migrations.length + 5}`);
    db.close();

    await new SqliteStore(path).close();
    const reopened = new Database(path);
    assert.equal(reopened.pragma('user_version', { simple: true }), migrations.length + 5);
    reopened.close();
  });
});

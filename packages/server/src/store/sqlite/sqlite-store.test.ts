import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATED_V1_TOKEN, runStoreContract } from '../contract.test-suite.js';
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

  it('migration 2 keeps the opaque tokens stored before it, under h:<hash>', async () => {
    const path = join(dir, 'v1.db');
    const db = new Database(path);
    db.exec(migrations[0] as string);
    db.pragma('user_version = 1');
    db.prepare("INSERT INTO clients (client_id, metadata, created_at, updated_at) VALUES ('c', '{}', 0, 0)").run();
    db.prepare("INSERT INTO opaque_tokens VALUES ('digest', 'c', 'j', 'a', '[\"x\"]', 10, 20)").run();
    db.close();

    const store = new SqliteStore(path);
    assert.deepEqual(await store.getOpaqueToken('h:digest'), MIGRATED_V1_TOKEN);
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

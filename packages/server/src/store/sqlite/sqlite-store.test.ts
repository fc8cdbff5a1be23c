import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { EXTENSION, MIGRATED_V1_TOKEN, opaqueToken, runStoreContract } from '../contract.test-suite.js';
import { isStoreUnavailable } from '../store-errors.js';
import { migrations } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runStoreContract('sqlite :memory:', async () => new SqliteStore(':memory:'));
const contractFile = join(dir, 'contract', 'tessera.db');
runStoreContract('sqlite file', async () => new SqliteStore(contractFile), {
  openPeer: async () => new SqliteStore(contractFile),
});

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

  it('migration 3 reads the opaque tokens stored before it without extension, and stores new ones with', async () => {
    const path = join(dir, 'v2.db');
    const db = new Database(path);
    db.exec(migrations[0] as string);
    db.exec(migrations[1] as string);
    db.pragma('user_version = 2');
    const old = opaqueToken('c');
    db.prepare('INSERT INTO opaque_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      old.id,
      old.hash,
      old.clientId,
      old.jti,
      old.scope,
      JSON.stringify(old.audience),
      old.iat,
      old.exp,
    );
    db.close();

    const store = new SqliteStore(path);
    assert.deepEqual(await store.getOpaqueToken(old.id), old);
    const fresh = opaqueToken('c', { extension: EXTENSION });
    await store.insertOpaqueToken(fresh);
    assert.deepEqual(await store.getOpaqueToken(fresh.id), fresh);
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

  it('spends each jti once across worker processes sharing the file', { timeout: 60_000 }, async () => {
    const path = join(dir, 'workers.db');
    await new SqliteStore(path).close();
    const keys = Array.from({ length: 600 }, (_, i) => `k${i}`);
    const startAt = Date.now() + 1500;
    // Each worker spends every key, 50 a turn, in its own order, all starting
    // at once: their batches contend for the write lock (WRITE_LATER) as
    // TESSERA_WORKERS do.
    const worker = `
      const { SqliteStore } = await import(process.env.STORE_MODULE);
      const store = new SqliteStore(process.env.DB_PATH);
      const keys = JSON.parse(process.env.KEYS);
      const order = process.env.REVERSE === '1' ? [...keys].reverse() : keys;
      while (Date.now() < Number(process.env.START_AT));
      const won = [];
      for (let i = 0; i < order.length; i += 50) {
        const turn = order.slice(i, i + 50);
        const results = await Promise.all(turn.map((k) => store.useOnce(k, 2e12, 1e12)));
        turn.forEach((k, j) => results[j] && won.push(k));
      }
      await store.close();
      process.stdout.write(JSON.stringify(won));
    `;
    const run = (reverse: boolean) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', worker], {
        env: {
          ...process.env,
          STORE_MODULE: pathToFileURL(join(import.meta.dirname, 'sqlite-store.ts')).href,
          DB_PATH: path,
          KEYS: JSON.stringify(keys),
          START_AT: String(startAt),
          REVERSE: reverse ? '1' : '0',
        },
      });
    const outputs = await Promise.all([run(false), run(true), run(false)]);
    const won = outputs.flatMap((o) => JSON.parse(o.stdout) as string[]);
    assert.deepEqual([...won].sort(), [...keys].sort(), 'every key won exactly once');
    assert.ok(
      outputs.every((o) => (JSON.parse(o.stdout) as string[]).length < keys.length),
      'one worker ran alone: nothing contended',
    );
  });

  describe('while another process holds the write lock', () => {
    /** A store on a fresh file, and a second connection to it (another worker) holding the write lock. */
    function lockedStore(name: string, busyTimeoutMs?: number) {
      const path = join(dir, `${name}.db`);
      const store = new SqliteStore(path, { busyTimeoutMs });
      const other = new Database(path);
      other.prepare("INSERT INTO clients (client_id, metadata, created_at, updated_at) VALUES ('c', '{}', 0, 0)").run();
      other.exec('BEGIN IMMEDIATE');
      return { store, other };
    }
    const row = (id: string) => opaqueToken('c', { id, jti: `jti-${id}` });

    it('stores an opaque token once the lock is free, without blocking the event loop meanwhile', async () => {
      const { store, other } = lockedStore('busy-wait');
      let settled = false;
      const stored = store.insertOpaqueToken(row('t1')).finally(() => {
        settled = true;
      });
      // A blocking busy handler would hold this timer up until the lock was free.
      const start = performance.now();
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(performance.now() - start < 1000, 'the event loop was blocked');
      assert.equal(settled, false, 'settled while the write lock was held');
      const second = store.insertOpaqueToken(row('t2'));
      other.exec('COMMIT');
      await Promise.all([stored, second]);
      assert.equal((await store.getOpaqueToken('t1'))?.jti, 'jti-t1');
      assert.equal((await store.getOpaqueToken('t2'))?.jti, 'jti-t2');
      other.close();
      await store.close();
    });

    it('fails as unavailable after the busy timeout and stores nothing', async () => {
      const { store, other } = lockedStore('busy-timeout', 200);
      const start = performance.now();
      await assert.rejects(store.insertOpaqueToken(row('t1')), isStoreUnavailable);
      const waited = performance.now() - start;
      assert.ok(waited >= 190 && waited < 2000, `failed after ${waited} ms`);
      other.exec('COMMIT');
      assert.equal(await store.getOpaqueToken('t1'), undefined);
      // And the next token, with the lock free, is stored at once.
      await store.insertOpaqueToken(row('t2'));
      assert.equal((await store.getOpaqueToken('t2'))?.jti, 'jti-t2');
      other.close();
      await store.close();
    });
  });
});

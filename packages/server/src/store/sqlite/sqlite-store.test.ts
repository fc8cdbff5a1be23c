import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
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
    const keys = Array.from({ length: 3000 }, (_, i) => `k${i}`);
    // 3,000 keys: enough that on a loaded two-core machine no worker finishes
    // before the others start. Each worker opens the store, says so, and on "go" spends every key, 50
    // a turn, in its own order: started together, their batches contend for
    // the write lock (WRITE_LATER) as TESSERA_WORKERS do.
    const worker = `
      const { SqliteStore } = await import(process.env.STORE_MODULE);
      const store = new SqliteStore(process.env.DB_PATH);
      const keys = JSON.parse(process.env.KEYS);
      const order = process.env.REVERSE === '1' ? [...keys].reverse() : keys;
      process.stdout.write('ready\\n');
      await new Promise((resolve) => process.stdin.once('data', resolve));
      const won = [];
      for (let i = 0; i < order.length; i += 50) {
        const turn = order.slice(i, i + 50);
        const results = await Promise.all(turn.map((k) => store.useOnce(k, 2e12, 1e12)));
        turn.forEach((k, j) => results[j] && won.push(k));
      }
      await store.close();
      process.stdout.write(JSON.stringify(won));
      process.exit(0);
    `;
    const workers = [false, true, false].map((reverse) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', worker], {
        env: {
          ...process.env,
          STORE_MODULE: pathToFileURL(join(import.meta.dirname, 'sqlite-store.ts')).href,
          DB_PATH: path,
          KEYS: JSON.stringify(keys),
          REVERSE: reverse ? '1' : '0',
        },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      let out = '';
      const ready = new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d;
          if (out.startsWith('ready\n')) resolve();
        });
      });
      const done = new Promise<string[]>((resolve, reject) =>
        child.on('exit', (code) =>
          code === 0 ? resolve(JSON.parse(out.slice('ready\n'.length)) as string[]) : reject(new Error(`exit ${code}`)),
        ),
      );
      return { child, ready, done };
    });
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin.end('go');
    const won = await Promise.all(workers.map((w) => w.done));
    assert.deepEqual(won.flat().sort(), [...keys].sort(), 'every key won exactly once');
    assert.ok(
      won.every((w) => w.length < keys.length),
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

    it('spends a jti once the lock is free, without blocking the event loop meanwhile', async () => {
      const { store, other } = lockedStore('busy-jti');
      let settled = false;
      const uses = Promise.all([store.useOnce('j1', 2000, 1000), store.useOnce('j1', 2000, 1000)]).finally(() => {
        settled = true;
      });
      const start = performance.now();
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(performance.now() - start < 1000, 'the event loop was blocked');
      assert.equal(settled, false, 'answered while the write lock was held');
      // Another worker spends j2 first: this store then finds it spent.
      other.prepare("INSERT INTO used_jtis (key, expires_at) VALUES ('j2', 2000)").run();
      const later = store.useOnce('j2', 2000, 1000);
      other.exec('COMMIT');
      assert.deepEqual(await uses, [true, false]);
      assert.equal(await later, false);
      other.close();
      await store.close();
    });

    it('fails a jti use as unavailable after the busy timeout, spending nothing', async () => {
      const { store, other } = lockedStore('busy-jti-timeout', 200);
      await assert.rejects(store.useOnce('j1', 2000, 1000), isStoreUnavailable);
      other.exec('COMMIT');
      assert.equal(await store.useOnce('j1', 2000, 1000), true);
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

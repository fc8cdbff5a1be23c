import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { opaqueToken } from '../contract.test-suite.js';
import { SqliteBatchWriter } from './batch-writer.js';
import { BackgroundCheckpointer } from './checkpointer.js';
import { migrations } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-checkpoint-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A migrated database file and a token writer on it, as SqliteStore makes them. */
async function open(name: string): Promise<{ path: string; db: Database.Database; writer: SqliteBatchWriter }> {
  const path = join(dir, name);
  await new SqliteStore(path).close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  return { path, db, writer: new SqliteBatchWriter(db, path, 1000) };
}

describe('background WAL checkpoints (SqliteBatchWriter)', () => {
  it('start with the first opaque token, in a thread, and the connections stop checkpointing themselves', {
    timeout: 20_000,
  }, async () => {
    const { path, db, writer } = await open('tokens.db');
    const checkpointer = writer.checkpointer;
    assert.ok(checkpointer);
    assert.equal(checkpointer.running, false, 'no thread before an opaque token is written');
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000);

    await Promise.all(Array.from({ length: 200 }, () => writer.add(opaqueToken('c'))));
    assert.equal(checkpointer.running, true);
    assert.equal(
      db.pragma('wal_autocheckpoint', { simple: true }),
      10_000,
      'only a backstop is left to the event loop',
    );
    await checkpointer.nextCheckpoint();

    // The rows are in the database file itself now: a copy of it, without the WAL, has them.
    copyFileSync(path, join(dir, 'file-only.db'));
    const fileOnly = new Database(join(dir, 'file-only.db'));
    assert.equal((fileOnly.prepare('SELECT count(*) AS n FROM opaque_tokens').get() as { n: number }).n, 200);
    fileOnly.close();

    await writer.close();
    assert.equal(checkpointer.running, false);
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000, 'after the thread, SQLite checkpoints again');
    db.close();
    assert.equal(existsSync(`${path}-wal`), false, 'the last connection closed leaves no WAL behind');
  });

  it('reports a checkpoint only when it copied frames written since the last', { timeout: 20_000 }, async () => {
    const { db, writer } = await open('idle.db');
    const checkpointer = writer.checkpointer;
    assert.ok(checkpointer);
    await writer.add(opaqueToken('c'));
    await checkpointer.nextCheckpoint();

    // Nothing written: the turns that follow (10, then every 100 ms) copy nothing and say nothing.
    const next = checkpointer.nextCheckpoint();
    const quiet = await Promise.race([next.then(() => false), new Promise((r) => setTimeout(r, 400, true))]);
    assert.equal(quiet, true, 'an idle WAL is not reported as checkpointed');

    // A write after a full checkpoint restarts the WAL; the next turn copies it.
    await writer.add(opaqueToken('c'));
    await next;
    await writer.close();
    db.close();
  });

  it('is not used for :memory:, which has no WAL', () => {
    const db = new Database(':memory:');
    for (const m of migrations) db.exec(m);
    assert.equal(new SqliteBatchWriter(db, ':memory:', 1000).checkpointer, undefined);
    db.close();
  });
});

describe('BackgroundCheckpointer', () => {
  it('that fails hands checkpoints back to the connections and says so', { timeout: 20_000 }, async () => {
    const db = new Database(':memory:');
    const logged = new Promise<{ err: Error }>((resolve) => {
      const logger = pino({}, { write: (line: string) => resolve(JSON.parse(line)) });
      new BackgroundCheckpointer(join(dir, 'no', 'such', 'dir', 'x.db'), [db], logger).start();
      assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 10_000);
    });
    // The thread is unref'd: this keeps the process up until it has failed.
    const keepAlive = setTimeout(() => {}, 20_000);
    const { err } = await logged;
    clearTimeout(keepAlive);
    assert.match(err.message, /unable to open|directory does not exist/);
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000);
    db.close();
  });
});

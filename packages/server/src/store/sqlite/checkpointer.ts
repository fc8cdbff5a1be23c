import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';

/** SQLite's own default: a commit that brings the WAL past this many pages checkpoints it. */
const AUTO_CHECKPOINT_PAGES = 1000;
/**
 * With the background thread running, the event loop checkpoints only if the
 * WAL gets this long (40 MB of 4 KiB pages): the thread keeps it far
 * shorter, so this is a backstop for a stuck thread.
 */
const BACKSTOP_PAGES = 10_000;
/**
 * While commits keep coming, the thread checkpoints every BUSY_MS; after a
 * turn that found none, it looks every IDLE_MS. Short turns matter: while a
 * checkpoint's fsync writes the WAL's last page out, the event loop's next
 * commit waits for that write to finish, and the wait grows with what the
 * checkpoint has to write. Issuing 22,000 opaque tokens/s at 60 % of one
 * core here, p99 latency was 5.6–8.6 ms checkpointing every 100 ms, 4.2–4.7
 * every 50 ms, 3.1–3.6 every 25, 2.5–3.4 every 10, and 2.7–2.9 ms with the
 * database on tmpfs (no disk at all).
 */
const BUSY_MS = 10;
const IDLE_MS = 100;

/**
 * The thread: a PASSIVE checkpoint each turn that finds new commits, on a
 * connection of its own. PASSIVE never takes the write lock, so writers go
 * on meanwhile; one that finds another checkpoint running (another worker
 * process's) skips its turn. synchronous=NORMAL syncs the WAL before its
 * frames are copied and the database file after. Each checkpoint that copied
 * frames is reported.
 *
 * `data_version` changes when another connection commits, so an idle turn
 * costs one read of the WAL's header; a checkpoint left unfinished (a reader
 * or another checkpoint in the way) is tried again even without new commits.
 *
 * Plain JavaScript run with `eval`: a worker cannot load TypeScript under
 * tsx (the tests), and this way built and tested code are the same.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 0 });
db.pragma('synchronous = NORMAL');
let seen;
let finished = true;
let timer;
function turn() {
  const version = db.pragma('data_version', { simple: true });
  const fresh = version !== seen;
  seen = version;
  if (fresh || !finished) {
    try {
      const [row] = db.pragma('wal_checkpoint(PASSIVE)');
      finished = row.busy === 0 && row.checkpointed === row.log;
      if (row.checkpointed > 0) parentPort.postMessage(row.checkpointed);
    } catch (err) {
      if (!String(err && err.code).startsWith('SQLITE_BUSY')) throw err;
      finished = false;
    }
  }
  timer = setTimeout(turn, fresh || !finished ? workerData.busyMs : workerData.idleMs);
}
timer = setTimeout(turn, workerData.busyMs);
parentPort.once('message', () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;
const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * WAL checkpoints off the event loop. A checkpoint syncs the WAL and the
 * database file to disk, and SQLite runs it inside the commit that brings
 * the WAL past 1,000 pages: issuing opaque tokens at 14,500/s, that was
 * every ~50 ms, each time stopping the event loop for ~3.5 ms of fsync here
 * (more on a slower disk). A worker thread checkpointing takes those syncs
 * off the event loop.
 *
 * Started on the first opaque token written, not at start-up: a thread costs
 * ~12 MB of memory, and a store without opaque tokens writes so little that
 * SQLite's own checkpoints cost nothing noticeable. A thread that fails is
 * not restarted: the connections go back to checkpointing themselves.
 */
export class BackgroundCheckpointer {
  readonly #path: string;
  readonly #connections: readonly Database.Database[];
  readonly #logger: Logger | undefined;
  #worker: Worker | undefined;
  #exited: Promise<unknown> = Promise.resolve();
  #waiting: (() => void)[] = [];

  /** `connections`: this process's connections that write to `path`. */
  constructor(path: string, connections: readonly Database.Database[], logger?: Logger) {
    this.#path = path;
    this.#connections = connections;
    this.#logger = logger;
  }

  /** Starts the thread, once. */
  start(): void {
    if (this.#worker) return;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: DRIVER, path: this.#path, busyMs: BUSY_MS, idleMs: IDLE_MS },
    });
    // Never what keeps the process alive.
    worker.unref();
    worker.on('message', () => {
      if (this.#waiting.length === 0) return;
      worker.unref();
      for (const resolve of this.#waiting.splice(0)) resolve();
    });
    // Should the thread fail (it cannot open the file, say), the connections checkpoint themselves again.
    worker.once('error', (err) => {
      this.#autoCheckpoint(AUTO_CHECKPOINT_PAGES);
      this.#logger?.error({ err }, 'the WAL checkpoint thread failed: checkpoints run on the event loop again');
    });
    this.#exited = new Promise((resolve) => worker.once('exit', resolve));
    this.#worker = worker;
    this.#autoCheckpoint(BACKSTOP_PAGES);
  }

  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** Resolves after the thread's next checkpoint that copies frames (for tests); call after start(). */
  nextCheckpoint(): Promise<void> {
    // Waited on, the thread keeps the process alive until it answers.
    this.#worker?.ref();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Stops the thread, waiting for a checkpoint it is in to finish. */
  async stop(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    // Kept alive until the thread has closed its connection, so a shutdown goes on after this.
    worker.ref();
    worker.postMessage('stop');
    await this.#exited;
    this.#autoCheckpoint(AUTO_CHECKPOINT_PAGES);
  }

  #autoCheckpoint(pages: number): void {
    for (const db of this.#connections) if (db.open) db.pragma(`wal_autocheckpoint = ${pages}`);
  }
}

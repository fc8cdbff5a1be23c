import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './tessera-process.js';

/**
 * A PostgreSQL server of the test's own (initdb + pg_ctl in a temporary
 * directory, on a free port), so a fault test can stop and start it without
 * touching the machine's database. initdb refuses to run as root, so as root
 * it runs as the `postgres` user.
 */
export class ThrowawayPostgres {
  readonly url: string;
  readonly #dir: string;
  readonly #port: number;
  readonly #bin: string;

  private constructor(dir: string, port: number, bin: string) {
    this.#dir = dir;
    this.#port = port;
    this.#bin = bin;
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  static async create(): Promise<ThrowawayPostgres> {
    const versions = readdirSync('/usr/lib/postgresql').sort();
    const bin = join('/usr/lib/postgresql', versions.at(-1) as string, 'bin');
    const dir = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
    if (process.getuid?.() === 0)
      chownSync(
        dir,
        Number(execFileSync('id', ['-u', 'postgres']).toString()),
        Number(execFileSync('id', ['-g', 'postgres']).toString()),
      );
    const pg = new ThrowawayPostgres(dir, await freePort(), bin);
    pg.#run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    pg.start();
    return pg;
  }

  start(): void {
    this.#run('pg_ctl', [
      '-D',
      join(this.#dir, 'data'),
      '-w',
      '-t',
      '30',
      '-l',
      join(this.#dir, 'log'),
      '-o',
      `-p ${this.#port} -k ${this.#dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      'start',
    ]);
  }

  /** Immediate stop: connections drop mid-flight, as in a crash or failover. */
  stop(): void {
    this.#run('pg_ctl', ['-D', join(this.#dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }

  destroy(): void {
    try {
      this.stop();
    } catch {
      // already stopped
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #run(tool: string, args: string[]): void {
    const cmd = join(this.#bin, tool);
    if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
    else execFileSync(cmd, args, { stdio: 'pipe' });
  }
}

/** A redis-server of the test's own on a free port, keeping nothing on disk. */
export class ThrowawayRedis {
  #child: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async create(): Promise<ThrowawayRedis> {
    const r = new ThrowawayRedis(await freePort());
    await r.start();
    return r;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
    });
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

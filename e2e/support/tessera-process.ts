import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Starts the real Tessera server (packages/server/dist/main.js, built by
 * `npm test`'s pretest) as a child process on a free port with a throwaway
 * SQLite database: the way users run it. For black-box tests of the server
 * and of the client and verify libraries.
 */
export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  [field: string]: unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON of any shape, asserted on by the tests
type Json = any;

export interface TesseraProcess {
  /** The issuer and base URL, e.g. http://localhost:41234 */
  url: string;
  port: number;
  adminKey: string;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** Calls the admin API. */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }>;
  /** Registers a client; returns the admin API's answer (with client_secret). */
  createClient(metadata: Record<string, unknown>): Promise<RegisteredClient>;
  /** Kills the process without warning (kill -9), as a crash would. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
export const SERVER_MAIN = join(here, '..', '..', 'packages', 'server', 'dist', 'main.js');

/** `Authorization: Basic` for a client, as most clients send it (id and secret as they are). */
export function basicAuth(clientId: string, secret: string | undefined): string {
  return `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Polls `healthy` until it answers true; fails with the server's output if it exits or takes 20 s. */
export async function waitUntilServing(
  child: ChildProcess,
  output: () => string,
  healthy: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tessera exited with ${child.exitCode}:\n${output()}`);
    try {
      if (await healthy()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`tessera did not start in 20 s:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startTessera(env: Record<string, string> = {}): Promise<TesseraProcess> {
  // A missing build fails the test that needs it; it never skips it.
  if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run \`npm run build\` (npm test does)`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  const adminKey = env.TESSERA_ADMIN_KEY ?? `test-admin-${randomBytes(12).toString('hex')}`;
  const url = `http://localhost:${port}`;
  const child: ChildProcess = spawn(process.execPath, [SERVER_MAIN], {
    env: {
      PATH: process.env.PATH,
      TESSERA_PORT: String(port),
      TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
      TESSERA_ADMIN_KEY: adminKey,
      TESSERA_LOG_LEVEL: 'info',
      // Tests stop servers with SIGTERM; no load balancer needs a drain period here.
      TESSERA_SHUTDOWN_DRAIN_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await waitUntilServing(
    child,
    () => out,
    async () => (await fetch(`${url}/healthz`)).ok,
  );

  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(url + path, {
      method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };

  return {
    url,
    port,
    adminKey,
    output: () => out,
    admin,
    async createClient(metadata) {
      const r = await admin('POST', '/admin/clients', metadata);
      if (r.status !== 201) throw new Error(`client creation failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

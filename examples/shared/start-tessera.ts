import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.js';
import { freePort } from './free-port.js';

const SERVER_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'server', 'dist', 'main.js');
const START_TIMEOUT_MS = 20_000;

/** The parts of the discovery document the examples use. */
export interface Metadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  introspection_endpoint: string;
  revocation_endpoint: string;
  [field: string]: unknown;
}

/** A registered client as the admin API returns it (`client_secret` only at creation). */
export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  scope: string;
  audience: string[];
  [field: string]: unknown;
}

export interface Tessera {
  /** The issuer, which is also the base URL: `http://127.0.0.1:<port>`. */
  issuer: string;
  metadata: Metadata;
  /** `POST /admin/clients`; throws unless it answers 201. */
  registerClient(metadata: Record<string, unknown>): Promise<RegisteredClient>;
  /** Any call behind the admin key (`/admin/…`, `/metrics`); returns the status, the JSON answer (or `{}`) and the text. */
  admin(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown>; text: string }>;
}

/**
 * Starts the real server (`node packages/server/dist/main.js`) on a free
 * port and a throwaway SQLite database, waits for `/healthz`, and reads the
 * discovery document. Its process and directory are handed to `cleanup`.
 */
export async function startTessera(cleanup: Cleanup): Promise<Tessera> {
  if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run \`npm run build\` first`);
  const dir = await mkdtemp(join(tmpdir(), 'tessera-example-'));
  cleanup.defer(`temporary store ${dir}`, () => rm(dir, { recursive: true, force: true }));

  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const adminKey = randomBytes(32).toString('base64url');
  const child = spawn(process.execPath, [SERVER_MAIN], {
    env: {
      PATH: process.env.PATH,
      TESSERA_PORT: String(port),
      TESSERA_HOST: '127.0.0.1',
      TESSERA_ISSUER: issuer,
      TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
      TESSERA_ADMIN_KEY: adminKey,
      TESSERA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanup.defer(`Tessera (pid ${child.pid})`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // SIGINT, as Ctrl-C would: a graceful stop without the drain period
    // that SIGTERM keeps for load balancers, which nothing here needs.
    child.kill('SIGINT');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  });

  await waitForHealth(
    issuer,
    () => child.exitCode,
    () => output,
  );

  const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Metadata;
  if (metadata.issuer !== issuer) throw new Error(`discovery names issuer ${metadata.issuer}, expected ${issuer}`);

  return {
    issuer,
    metadata,
    async admin(method, path, body) {
      const res = await fetch(`${issuer}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${adminKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      const isJson = (res.headers.get('content-type') ?? '').includes('json') && text !== '';
      return { status: res.status, json: isJson ? (JSON.parse(text) as Record<string, unknown>) : {}, text };
    },
    async registerClient(body) {
      const res = await fetch(`${issuer}/admin/clients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = (await res.json()) as RegisteredClient & { error?: string; error_description?: string };
      if (res.status !== 201) {
        throw new Error(`POST /admin/clients answered ${res.status}: ${answer.error} ${answer.error_description}`);
      }
      return answer;
    },
  };
}

/** Polls /healthz until it answers 200, the process exits, or the deadline passes. */
async function waitForHealth(issuer: string, exitCode: () => number | null, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exitCode() !== null) throw new Error(`Tessera exited with code ${exitCode()}:\n${output()}`);
    try {
      const res = await fetch(`${issuer}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Tessera did not answer /healthz within ${START_TIMEOUT_MS} ms`);
    await delay(50);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

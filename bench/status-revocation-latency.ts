/**
 * How soon a revocation reaches a subscriber of the status list events
 * stream: for each of N revocations (default 1,000), the time from sending
 * POST /oauth2/revoke to the `status_list` event naming the token's list,
 * on one server process (SQLite) or, with BENCH_POSTGRES_URL and
 * BENCH_REDIS_URL, across two (revoked on A, heard on B). The server side
 * only: a verifier's fetch of the list comes after.
 *
 *   npm run build && node --import tsx bench/status-revocation-latency.ts [N]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, SERVER_MAIN, waitUntilServing } from '../e2e/support/tessera-process.js';

const n = Number(process.argv[2] ?? 1000);
const adminKey = 'bench-admin-key-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'tessera-revocation-'));
const shared: Record<string, string> = process.env.BENCH_POSTGRES_URL
  ? {
      TESSERA_DATABASE_URL: process.env.BENCH_POSTGRES_URL,
      TESSERA_ENCRYPTION_KEY: 'bench-encryption-key-0123456789-abcdefghijk',
      ...(process.env.BENCH_REDIS_URL ? { TESSERA_REDIS_URL: process.env.BENCH_REDIS_URL } : {}),
    }
  : { TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}` };

async function start(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let out = '';
  const child = spawn(process.execPath, [SERVER_MAIN], {
    env: {
      PATH: process.env.PATH,
      TESSERA_PORT: String(port),
      TESSERA_ISSUER: 'http://tessera.bench',
      TESSERA_ADMIN_KEY: adminKey,
      TESSERA_LOG_LEVEL: 'warn',
      TESSERA_SHUTDOWN_DRAIN_MS: '0',
      ...shared,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  await waitUntilServing(
    child,
    () => out,
    async () => (await fetch(`${url}/healthz`)).ok,
  );
  return { url, child };
}

const a = await start();
const b = shared.TESSERA_DATABASE_URL?.startsWith('postgres') ? await start() : a;
const created = await fetch(`${a.url}/admin/clients`, {
  method: 'POST',
  headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
  body: JSON.stringify({ scope: 'a', audience: ['x'] }),
});
const client = (await created.json()) as { client_id: string; client_secret: string };
const auth = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
const form = { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' };

const waiting = new Map<string, () => void>();
const stream = await new Promise<IncomingMessage>((resolve, reject) =>
  get(`${b.url}/oauth2/status-lists/events`, { agent: false }, resolve).on('error', reject),
);
let buffer = '';
stream.setEncoding('utf8').on('data', (chunk: string) => {
  buffer += chunk;
  for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
    const data = buffer
      .slice(0, end)
      .split('\n')
      .find((l) => l.startsWith('data: '));
    buffer = buffer.slice(end + 2);
    if (data) waiting.get(JSON.parse(data.slice(6)).uri)?.();
  }
});

async function revokeOnce(): Promise<number> {
  const t = await fetch(`${a.url}/oauth2/token`, {
    method: 'POST',
    headers: form,
    body: 'grant_type=client_credentials',
  });
  const token = ((await t.json()) as { access_token: string }).access_token;
  const uri = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).status.status_list.uri;
  const heard = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no event within 5 s')), 5000);
    waiting.set(uri, () => {
      clearTimeout(timer);
      waiting.delete(uri);
      resolve(performance.now());
    });
  });
  const sent = performance.now();
  await fetch(`${a.url}/oauth2/revoke`, { method: 'POST', headers: form, body: `token=${token}` });
  return (await heard) - sent;
}

for (let i = 0; i < 20; i++) await revokeOnce(); // warm-up, and B's feed subscription in place
const ms: number[] = [];
for (let i = 0; i < n; i++) ms.push(await revokeOnce());
ms.sort((x, y) => x - y);
const q = (p: number) => (ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] as number).toFixed(1);
process.stdout.write(
  `${n} revocations ${a === b ? 'on one node (SQLite)' : `on A, heard on B (PostgreSQL${shared.TESSERA_REDIS_URL ? ' + Redis' : ''})`}: ` +
    `revoke sent → event received p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1 - 1e-9)} ms\n`,
);
stream.destroy();
for (const p of new Set([a, b])) {
  p.child.kill('SIGTERM');
  await new Promise((r) => p.child.once('exit', r));
}
rmSync(dir, { recursive: true, force: true });

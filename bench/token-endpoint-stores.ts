/**
 * One Tessera node, the same JWT workload (client_secret_basic, RS256), on
 * three stores: embedded SQLite, PostgreSQL, PostgreSQL + Redis. The server
 * is pinned to core 0 and wrk to core 1; each figure is the median of 3
 * runs, with min–max. Run: `npm run bench:stores` (needs wrk, PostgreSQL on
 * 127.0.0.1:5432 and Redis on 127.0.0.1:6379).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshPostgres, TEST_REDIS_URL } from '../e2e/support/backing-services.js';
import { freePort, SERVER_MAIN } from '../e2e/support/tessera-process.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 64;
const LUA = join(import.meta.dirname, 'lib', 'token.lua');

interface WrkResult {
  ok: number;
  bad: number;
  seconds: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

async function startServer(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('taskset', ['-c', '0', process.execPath, SERVER_MAIN], {
    env: { PATH: process.env.PATH, TESSERA_PORT: String(port), TESSERA_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, child };
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('server did not start');
}

function wrk(url: string, auth: string, seconds: number): WrkResult {
  const out = execFileSync(
    'taskset',
    ['-c', '1', 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', LUA, `${url}/oauth2/token`],
    { env: { ...process.env, BENCH_AUTH: auth }, encoding: 'utf8' },
  );
  const line = out.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`wrk printed no result:\n${out}`);
  return JSON.parse(line.slice(6));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function measure(name: string, env: Record<string, string>): Promise<string> {
  const adminKey = `bench-admin-${randomBytes(8).toString('hex')}`;
  const { url, child } = await startServer({ ...env, TESSERA_ADMIN_KEY: adminKey });
  try {
    const r = await fetch(`${url}/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: '{"scope":"a b","audience":["calendar"]}',
    });
    const c = (await r.json()) as { client_id: string; client_secret: string };
    const auth = `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;
    wrk(url, auth, 2); // warm-up
    const rates: number[] = [];
    const p99s: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const res = wrk(url, auth, SECONDS);
      if (res.bad > 0 || res.errors > 0)
        throw new Error(`${name}: ${res.bad} bad responses, ${res.errors} socket errors`);
      rates.push(res.ok / res.seconds);
      p99s.push(res.p99_ms);
    }
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    return `| ${name} | ${fmt(median(rates))} | ${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))} | ${median(p99s).toFixed(1)} |`;
  } finally {
    child.kill('SIGTERM');
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
const pg = await freshPostgres();
const common = {
  TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  TESSERA_SIGNING_ALG: process.env.BENCH_ALG ?? 'RS256',
};
try {
  const rows = [
    await measure('SQLite (embedded)', { ...common, TESSERA_DATABASE_URL: `sqlite:${join(dir, 'db')}` }),
    await measure('PostgreSQL', { ...common, TESSERA_DATABASE_URL: pg.url }),
    await measure('PostgreSQL + Redis', { ...common, TESSERA_DATABASE_URL: pg.url, TESSERA_REDIS_URL: TEST_REDIS_URL }),
  ];
  console.log(
    `\nToken endpoint, one node on core 0, wrk -c${CONNECTIONS} on core 1, ${common.TESSERA_SIGNING_ALG} JWT, client_secret_basic; median of ${RUNS} × ${SECONDS} s\n`,
  );
  console.log('| store | tokens/s (median) | min–max | p99 ms |\n| --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
} finally {
  await pg.drop();
  rmSync(dir, { recursive: true, force: true });
}

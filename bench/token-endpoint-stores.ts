/**
 * One Tessera node, the same JWT workload (client_secret_basic), on three
 * stores: embedded SQLite, PostgreSQL, PostgreSQL + Redis (the full suite,
 * bench/run.ts, has no PostgreSQL-alone case). Server on core 0, wrk on
 * core 1, median of BENCH_RUNS runs (default 3) of BENCH_SECONDS (10) with
 * min–max. Run: `npm run bench:stores` (BENCH_ALG picks the algorithm;
 * needs wrk, PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshPostgres, TEST_REDIS_URL } from '../e2e/support/backing-services.js';
import { saturate } from './lib/load.js';
import { fixed, median, spread } from './lib/stats.js';
import { type Alg, BODY, startTessera } from './lib/targets.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 64;
const alg = (process.env.BENCH_ALG ?? 'RS256') as Alg;
const encryptionKey = randomBytes(32).toString('base64url');

async function measure(name: string, databaseUrl: string, redisUrl?: string): Promise<string> {
  const target = await startTessera({
    alg,
    format: 'jwt',
    cpus: '0',
    databaseUrl,
    ...(redisUrl ? { redisUrl } : {}),
    encryptionKey,
    logLevel: 'warn',
    workers: 1,
  });
  try {
    await saturate(target.tokenUrl, target.creds, BODY, 2, CONNECTIONS, '1'); // warm-up
    const rates: number[] = [];
    const p99s: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await saturate(target.tokenUrl, target.creds, BODY, SECONDS, CONNECTIONS, '1');
      if (r.bad > 0 || r.errors > 0) throw new Error(`${name}: ${r.bad} bad responses, ${r.errors} socket errors`);
      rates.push(r.ok / r.seconds);
      p99s.push(r.p99_ms);
    }
    return `| ${name} | ${spread(rates)} | ${fixed(median(p99s), 1)} |`;
  } finally {
    await target.stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
const pg = await freshPostgres();
try {
  const rows = [
    await measure('SQLite (embedded)', `sqlite:${join(dir, 'db')}`),
    await measure('PostgreSQL', pg.url),
    await measure('PostgreSQL + Redis', pg.url, TEST_REDIS_URL),
  ];
  console.log(
    `\nToken endpoint, one node on core 0, wrk -c${CONNECTIONS} on core 1, ${alg} JWT, client_secret_basic; median (min–max) of ${RUNS} × ${SECONDS} s\n`,
  );
  console.log('| store | tokens/s | p99 ms |\n| --- | --- | --- |');
  for (const row of rows) console.log(row);
} finally {
  await pg.drop();
  rmSync(dir, { recursive: true, force: true });
}

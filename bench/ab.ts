/**
 * Two builds of the server taking turns on the same machine in one run: did
 * a change move the token endpoint? The full suite (run.ts) compares Tessera
 * with other systems; this compares Tessera with itself, which a refactor
 * needs and a 25-minute suite per build makes costly.
 *
 *   npm run build && node --import tsx bench/ab.ts <baseline main.js>
 *
 * The baseline is another checkout's build, e.g. `git worktree add
 * /tmp/base <commit> && cd /tmp/base && npm ci && npm run build`, then
 * /tmp/base/packages/server/dist/main.js. The candidate is this checkout's.
 * Both run on core 0 (each idle while the other is measured), wrk on core 1;
 * the order alternates (A B B A …) so drift favours neither. Overrides:
 * BENCH_RUNS (default 4 per build), BENCH_SECONDS (6), BENCH_CASES
 * (`RS256:jwt,ES256:jwt,EdDSA:jwt,EdDSA:opaque`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_MAIN } from '../e2e/support/tessera-process.js';
import { machine, tesseraBuild } from './lib/environment.js';
import { saturate } from './lib/load.js';
import { fixed, median, spread } from './lib/stats.js';
import { type Alg, BODY, type Format, startTessera, type TesseraTarget } from './lib/targets.js';

const baseline = process.argv[2];
if (!baseline) {
  console.error('usage: node --import tsx bench/ab.ts <baseline packages/server/dist/main.js>');
  process.exit(2);
}
const runs = Number(process.env.BENCH_RUNS ?? 4);
const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const cases = (process.env.BENCH_CASES ?? 'RS256:jwt,ES256:jwt,EdDSA:jwt,EdDSA:opaque')
  .split(',')
  .map((c) => c.split(':') as [Alg, Format]);

async function start(main: string, alg: Alg, format: Format, dir: string): Promise<TesseraTarget> {
  return startTessera({
    main,
    alg,
    format,
    cpus: '0',
    databaseUrl: `sqlite:${join(dir, `${randomBytes(4).toString('hex')}.db`)}`,
    encryptionKey: randomBytes(32).toString('base64url'),
    logLevel: 'warn',
    workers: 1,
  });
}

const rate = async (t: TesseraTarget, s: number) => {
  const r = await saturate(t.tokenUrl, t.creds, BODY, s, 64, '1');
  if (r.bad > 0 || r.errors > 0) throw new Error(`${r.bad} wrong answers, ${r.errors} errors from ${t.tokenUrl}`);
  return r.ok / r.seconds;
};

const lines = [
  `# A/B: this build against ${baseline}`,
  '',
  `Candidate: ${tesseraBuild()}. Machine: ${Object.values(machine()).join(', ')}.`,
  `${runs} runs of ${seconds} s per build and case, taking turns; tokens/s median (min–max).`,
  '',
  '| case | baseline | candidate | candidate ÷ baseline |',
  '| --- | --- | --- | --- |',
];
const dir = mkdtempSync(join(tmpdir(), 'tessera-ab-'));
try {
  for (const [alg, format] of cases) {
    const a = await start(baseline, alg, format, dir);
    const b = await start(SERVER_MAIN, alg, format, dir);
    try {
      await rate(a, 2);
      await rate(b, 2);
      const ra: number[] = [];
      const rb: number[] = [];
      for (let i = 0; i < runs; i++) {
        const pair = i % 2 === 0 ? ([a, ra, b, rb] as const) : ([b, rb, a, ra] as const);
        pair[1].push(await rate(pair[0], seconds));
        pair[3].push(await rate(pair[2], seconds));
      }
      const line = `| ${alg} ${format} | ${spread(ra)} | ${spread(rb)} | ${fixed(median(rb) / median(ra), 3)} |`;
      console.error(line);
      lines.push(line);
    } finally {
      await a.stop();
      await b.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(lines.join('\n'));

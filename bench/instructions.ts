/**
 * Instructions per token request: Tessera beside the lean reference, counted
 * by valgrind's callgrind rather than timed. Tokens/s on these shared
 * machines drift by 10 % or more between runs; an instruction count hardly
 * moves (two runs agree to within about 0.5 %), whatever else the machine is
 * doing. So a change to the hot path can be weighed to a fraction of a per
 * cent, and figures from separate runs compared. Only user space is counted:
 * the kernel's side of each request (the socket system calls) is left out,
 * and both servers make the same calls for a JWT. Opaque tokens are not
 * measured here: what batching saves there is mostly system calls.
 *
 * Equal instructions can still take unequal time: callgrind also simulates
 * the caches (CACHE_SIM below), and the report gives the misses per request
 * of a 32 KiB L1 and a 512 KiB L2, the part of the time instructions do not
 * show.
 *
 *   npm run build && npm run bench:instructions   # bench/results/instructions.md (~10 min)
 *   npm run bench:instructions -- --smoke         # EdDSA only, ~0.5 min (CI): bench/results/instructions-smoke.md
 *
 * Before and after a change: BENCH_BASELINE=<another build's
 * packages/server/dist/main.js> counts that build too, beside this one
 * (report: bench/results/instructions-baseline.md). BENCH_ALGS=ES256 counts
 * only the algorithms listed, BENCH_RUNS the runs per system (default 2).
 * A run now and then lands about 16,000 instructions (~2.7 %) above the
 * others of the same build, whichever build: count more than once.
 *
 * Each server runs under callgrind with counting off, answers a warm-up
 * (the JIT has compiled the hot path by its end), then is counted for a
 * fixed number of requests. Node runs with V8's compiler and garbage
 * collector on its main thread and the young generation at its 16 MiB
 * maximum from the start (NODE_FLAGS below), so neither tier-up timing nor
 * young-generation growth moves the count. Needs valgrind
 * (`apt-get install valgrind`).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, tesseraBuild } from './lib/environment.js';
import { sendRequests } from './lib/fixed-count.js';
import { startOtlpSink } from './lib/otlp-sink.js';
import { fixed, int } from './lib/stats.js';
import { type Alg, BODY, type StartOptions, startLean, startTessera, type Target } from './lib/targets.js';

const smoke = process.argv.includes('--smoke');
const settings = {
  /** Requests before counting starts: enough for the JIT to settle (10,000 and 20,000 agreed to 0.4 %). */
  warmup: smoke ? 500 : 10_000,
  /** Requests counted: ~1 min under callgrind each (an RS256 signature is ten times an ES256 one). */
  counted: (alg: Alg) => (smoke ? 200 : alg === 'RS256' ? 1000 : 3000),
  /** Connections the requests are sent over, each waiting for its answer. */
  concurrency: 8,
  /** BENCH_ALGS=ES256,EdDSA counts only those. */
  algs: (process.env.BENCH_ALGS?.split(',') ?? (smoke ? ['EdDSA'] : ['RS256', 'ES256', 'EdDSA'])) as Alg[],
  /** Each system is counted this often, in a fresh process: the report shows how close the runs agree. */
  runs: Number(process.env.BENCH_RUNS ?? (smoke ? 1 : 2)),
  /** Servers measured at once: valgrind runs each on one core. */
  parallel: 2,
};
const resultsDir = join(import.meta.dirname, 'results');
const baseline = process.env.BENCH_BASELINE;
const reportFile = join(
  resultsDir,
  smoke ? 'instructions-smoke.md' : baseline ? 'instructions-baseline.md' : 'instructions.md',
);
const work = mkdtempSync(join(tmpdir(), 'tessera-instructions-'));
const encryptionKey = randomBytes(32).toString('base64url');
/** Where the tracing case sends its spans: a collector that discards them (bench/lib/otlp-sink.ts). */
const sink = await startOtlpSink();

interface Case {
  alg: Alg;
  system: string;
  start: (o: StartOptions) => Promise<Target>;
}

/** Per request, from one run: instructions, and misses of the simulated caches. */
interface Figures {
  instructions: number;
  /** Instruction and data misses of the first-level caches. */
  l1Misses: number;
  /** Of those, the ones the simulated L2 missed too. */
  l2Misses: number;
}

interface Counted extends Case {
  /** One figure per run. */
  perRequest: Figures[];
}

/** V8 on one thread (compiler and GC), young generation fixed at its maximum: see the top of this file. */
const NODE_FLAGS = ['--single-threaded', '--min-semi-space-size=16', '--max-semi-space-size=16'];

/**
 * The caches callgrind simulates, given rather than detected: a virtual
 * machine's CPUID can report anything (this project's machine: a 256 MiB
 * direct-mapped last level), and fixed sizes keep runs on different hosts
 * comparable. 32 KiB 8-way L1s and a 512 KiB 8-way L2, as on AMD EPYC
 * (Zen 2 and 3); callgrind simulates two levels, so the shared L3 is not.
 */
const CACHE_SIM = ['--cache-sim=yes', '--I1=32768,8,64', '--D1=32768,8,64', '--LL=524288,8,64'];

const valgrind = (() => {
  try {
    return execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    process.stderr.write('bench: valgrind is needed: apt-get install valgrind\n');
    process.exit(1);
  }
})();

function cases(): Case[] {
  const db = () => join(work, `${randomBytes(4).toString('hex')}.db`);
  const tessera =
    (env: Record<string, string> = {}, main?: string) =>
    (o: StartOptions) =>
      startTessera({
        ...o,
        ...(main ? { main } : {}),
        databaseUrl: `sqlite:${db()}`,
        encryptionKey,
        logLevel: 'warn',
        workers: 1,
        // SIGTERM stops at once instead of draining for load balancers.
        env: { TESSERA_SHUTDOWN_DRAIN_MS: '0', ...env },
      });
  const lean = (o: StartOptions) => startLean(o, db());
  const list = settings.algs.flatMap((alg): Case[] => [
    { alg, system: 'Tessera (SQLite)', start: tessera() },
    ...(baseline ? [{ alg, system: 'Tessera (SQLite), baseline build', start: tessera({}, baseline) }] : []),
    { alg, system: 'lean reference', start: lean },
  ]);
  // The one per-request feature a setting turns off: what it costs, in the same unit.
  list.push({
    alg: settings.algs.at(-1) as Alg,
    system: 'Tessera (SQLite), TESSERA_METRICS=false',
    start: tessera({ TESSERA_METRICS: 'false' }),
  });
  // Issue 30: status lists are on by default; the same build without them, to weigh the claim (goal: ≥ 0.97×).
  list.push({
    alg: settings.algs.at(-1) as Alg,
    system: 'Tessera (SQLite), TESSERA_STATUS_LISTS=false',
    start: tessera({ TESSERA_STATUS_LISTS: 'false' }),
  });
  // And one that is off by default: OpenTelemetry tracing, every request traced (the default sampler) and exported.
  list.push({
    alg: settings.algs.at(-1) as Alg,
    system: 'Tessera (SQLite), tracing on (every request, OTLP to a discarding sink)',
    start: tessera({ OTEL_EXPORTER_OTLP_ENDPOINT: sink.url }),
  });
  return list;
}

/** What callgrind counted, per request: its output file's "events:" names and "totals:" figures. */
function readFigures(file: string, requests: number): Figures {
  const text = readFileSync(file, 'utf8');
  const names = /^events: (.+)$/m.exec(text)?.[1]?.split(' ');
  const totals = /^totals: (.+)$/m.exec(text)?.[1]?.split(' ').map(Number);
  if (!names || !totals) throw new Error(`no totals in ${file}`);
  const sum = (...events: string[]) =>
    events.reduce((n, e) => {
      const i = names.indexOf(e);
      if (i < 0) throw new Error(`no ${e} in ${file}`);
      return n + (totals[i] ?? 0);
    }, 0) / requests;
  return {
    instructions: sum('Ir'),
    // Instruction read, data read and data write misses.
    l1Misses: sum('I1mr', 'D1mr', 'D1mw'),
    l2Misses: sum('ILmr', 'DLmr', 'DLmw'),
  };
}

/** Tells the callgrind running as `pid` to start or stop counting. */
const callgrindControl = (pid: number, ...args: string[]) =>
  execFileSync('callgrind_control', [...args, String(pid)], { stdio: 'ignore' });

/** Instructions and cache misses per request of one fresh process of `c`. */
async function countOnce(c: Case): Promise<Figures> {
  const out = join(work, `${randomBytes(4).toString('hex')}.callgrind`);
  const requests = settings.counted(c.alg);
  const target = await c.start({
    alg: c.alg,
    format: 'jwt',
    cpus: undefined,
    nodeArgs: NODE_FLAGS,
    wrap: {
      // Self-modifying code: V8 writes and rewrites its compiled code on the heap.
      command: [
        'valgrind',
        '--tool=callgrind',
        ...CACHE_SIM,
        '--smc-check=all-non-file',
        '--instr-atstart=no',
        `--callgrind-out-file=${out}`,
      ],
      timeoutMs: 180_000,
    },
  });
  try {
    await sendRequests(target.tokenUrl, target.creds, BODY, settings.warmup, settings.concurrency);
    callgrindControl(target.pid, '--instr=on');
    await sendRequests(target.tokenUrl, target.creds, BODY, requests, settings.concurrency);
    callgrindControl(target.pid, '--instr=off');
  } finally {
    await target.stop();
  }
  const figures = readFigures(out, requests);
  rmSync(out, { force: true });
  process.stderr.write(
    `bench: ${c.alg}, ${c.system}: ${int(figures.instructions)} instructions, ${int(figures.l1Misses)} L1 misses per request\n`,
  );
  return figures;
}

/** Runs `fn` over `items`, `limit` at a time, keeping their order. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return results;
}

function render(counted: Counted[], seconds: number): string {
  const about = {
    ...machine(),
    node: process.version,
    valgrind,
    tessera: tesseraBuild(),
    ...(baseline ? { 'baseline build': baseline } : {}),
  };
  const lines = [
    '# Tessera: instructions per token request',
    `Generated ${new Date().toISOString()} by \`npm run bench:instructions${smoke ? ' -- --smoke' : ''}\` in ${(seconds / 60).toFixed(1)} min.`,
    '',
    '|  |  |',
    '| --- | --- |',
    ...Object.entries(about).map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '## Method',
    `- Each server runs as \`valgrind --tool=callgrind ${CACHE_SIM.join(' ')} --smc-check=all-non-file --instr-atstart=no node ${NODE_FLAGS.join(' ')} …\`. It answers ${int(settings.warmup)} token requests uncounted, then callgrind counts its instructions over the next ones (\`callgrind_control --instr=on\`, then \`--instr=off\`).`,
    `- Requests: \`client_secret_basic\`, \`${BODY}\`, over ${settings.concurrency} keep-alive connections, each waiting for its answer; any answer but a token fails the run.`,
    '- Node’s flags put V8’s compiler and garbage collector on the main thread and fix the young generation at its 16 MiB maximum, which a server under sustained load reaches anyway: then neither when the JIT finishes compiling nor how far the young generation has grown moves the count.',
    '- User space only: the kernel’s side of the socket system calls is not counted, and both servers make the same calls. Instructions are not time (a cache miss costs more than an add), but for the same kind of work they track it, and they do not drift with the shared machine.',
    '- Cache misses: callgrind’s simulation of 32 KiB 8-way instruction and data L1 caches and a 512 KiB 8-way L2 (AMD EPYC Zen 2 and 3; the shared L3 is not simulated), sizes given rather than read from the virtual machine’s CPUID. An L1 miss that the L2 serves costs about a dozen cycles, one that goes further tens to hundreds: where instructions are equal and time is not, the misses show what the instructions do not.',
    '',
    '## Per request',
    '| token | system | requests counted | instructions per request (mean) | each run | ÷ the lean reference’s (lower is less work) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const mean = (c: Counted, figure: keyof Figures) =>
    c.perRequest.reduce((sum, f) => sum + f[figure], 0) / c.perRequest.length;
  const ratio = (c: Counted, figure: keyof Figures) => {
    const lean = counted.find((l) => l.alg === c.alg && l.system === 'lean reference');
    return lean && lean !== c ? fixed(mean(c, figure) / mean(lean, figure), 3) : '–';
  };
  for (const c of counted) {
    const each = c.perRequest.map((f) => int(f.instructions)).join(' · ');
    const requests = int(settings.counted(c.alg));
    lines.push(
      `| ${c.alg} | ${c.system} | ${requests} | ${int(mean(c, 'instructions'))} | ${each} | ${ratio(c, 'instructions')} |`,
    );
  }
  lines.push(
    '',
    '## Simulated cache misses per request',
    '| token | system | L1 misses (instruction + data, mean) | each run | ÷ the lean reference’s | L2 misses (mean) | ÷ the lean reference’s |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const c of counted) {
    const each = c.perRequest.map((f) => int(f.l1Misses)).join(' · ');
    lines.push(
      `| ${c.alg} | ${c.system} | ${int(mean(c, 'l1Misses'))} | ${each} | ${ratio(c, 'l1Misses')} | ${int(mean(c, 'l2Misses'))} | ${ratio(c, 'l2Misses')} |`,
    );
  }
  if (smoke)
    lines.push(
      '',
      'Smoke run: far too short for the JIT to settle; it shows that the benchmark runs, not what it measures.',
    );
  return `${lines.join('\n')}\n`;
}

const started = Date.now();
try {
  const all = cases();
  const figures = await pool(
    all.flatMap((c) => Array.from({ length: settings.runs }, () => c)),
    settings.parallel,
    countOnce,
  );
  const counted = all.map(
    (c, i): Counted => ({ ...c, perRequest: figures.slice(i * settings.runs, (i + 1) * settings.runs) }),
  );
  const markdown = render(counted, (Date.now() - started) / 1000);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(reportFile, markdown);
  process.stdout.write(markdown);
  process.stderr.write(`bench: report written to ${reportFile}\n`);
} finally {
  await sink.close();
  rmSync(work, { recursive: true, force: true });
}

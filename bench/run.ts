/**
 * The benchmark suite: the token endpoint of Tessera, the lean reference and
 * oidc-provider side by side, in one run, plus workers scaling, growth and
 * the library micro-benchmarks. Writes a markdown report and prints it.
 *
 *   npm run build && npm run bench        # full: bench/results/latest.md (~35 min)
 *   npm run bench:smoke                   # CI: a few seconds per system, bench/results/smoke.md
 *   npm run bench -- --only dpop          # one part (see PARTS), bench/results/only-dpop.md
 *
 * Servers run on core 0 (`taskset -c 0`), load generators on core 1. Exits
 * non-zero when a benchmark fails to start or gets a wrong response; goals
 * missed are reported, not failed. Overrides: BENCH_RUNS, BENCH_SECONDS.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshPostgres, requireRedis } from '../e2e/support/backing-services.js';
import { SERVER_MAIN } from '../e2e/support/tessera-process.js';
import { commandsRun } from './lib/children.js';
import { latestProfile, type ProfileSummary, summariseProfile } from './lib/cpu-profile.js';
import { machine, tesseraBuild } from './lib/environment.js';
import { federatedDatabase } from './lib/federated.js';
import { federatedClients } from './lib/federation.js';
import {
  FEDERATION,
  type Feature,
  FLOWS,
  type Flow,
  flowLabel,
  PLAIN,
  removeCertificates,
  STATUS_OFF,
  type Transport,
  transportOptions,
} from './lib/flows.js';
import { fillDenylist, registerClients } from './lib/growth.js';
import { paced, saturate, WRK } from './lib/load.js';
import { runMicroBenchmarks } from './lib/micro.js';
import { startOtlpSink } from './lib/otlp-sink.js';
import type { PacedResult } from './lib/paced-load.js';
import { cpuMicros, exitedChildrenMicros, machineBusyMicros, rssMb, watchPeakRss } from './lib/proc.js';
import { type QuietDisk, quietDisk } from './lib/quiet-disk.js';
import {
  type CaseResult,
  type Report,
  type RevocationResult,
  renderReport,
  type SubscriberMemory,
} from './lib/report.js';
import { median } from './lib/stats.js';
import { revocationLatency, STATUS_LISTS_OFF, subscriberMemory } from './lib/status-lists.js';
import {
  type Alg,
  atIntrospection,
  BODY,
  call,
  type Format,
  startLean,
  startOidcProvider,
  startTessera,
  type Target,
  type TesseraOptions,
  type TesseraTarget,
} from './lib/targets.js';

const smoke = process.argv.includes('--smoke');
/** `--only dpop,growth`: just these parts, for measuring one flow in minutes; the full run is the report of record. */
const only = onlyParts(process.argv);
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const settings = {
  runs: num('BENCH_RUNS', smoke ? 1 : 3),
  seconds: num('BENCH_SECONDS', smoke ? 1 : 8),
  warmupSeconds: smoke ? 0 : 2,
  pacedSeconds: smoke ? 1 : 6,
  pacedWarmupSeconds: smoke ? 0.5 : 1,
  connections: 64,
  pacedConnections: 64,
  fixedShare: 0.6,
  algs: (smoke ? ['EdDSA'] : ['RS256', 'ES256', 'EdDSA']) as Alg[],
  growthClients: smoke ? [1, 1000] : [1, 1000, 100_000],
  /** Federated clients (federated_jwt), one against the most. */
  federatedClients: smoke ? [1, 1000] : [1, 100_000],
  /** Revocations timed until a subscribed verifier rejects the token. */
  revocations: smoke ? 20 : 1000,
  /** Status list event subscribers whose memory is measured. */
  subscribers: smoke ? 100 : 1000,
  denylist: smoke ? 1000 : 100_000,
  growthAlg: 'EdDSA' as Alg,
  /** The V8 setting docs/deployment.md suggests where memory is tight: 4 MiB semi-spaces instead of 16. */
  youngGenerationCap: '--max-semi-space-size=4',
};
const SERVER_CPUS = '0';
const LOAD_CPUS = '1';
const resultsDir = join(import.meta.dirname, 'results');
const reportFile = join(resultsDir, `${smoke ? 'smoke' : only ? `only-${[...only].join('-')}` : 'latest'}.md`);
const profileDir = join(resultsDir, 'profiles', smoke ? 'smoke' : 'latest');
const started = performance.now();

/** What `--only` can pick: the suite's parts and each flow of bench/lib/flows.ts. */
function onlyParts(argv: string[]): Set<string> | undefined {
  const at = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (at < 0) return undefined;
  const arg = argv[at] as string;
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[at + 1];
  const parts = new Set((value ?? '').split(',').filter(Boolean));
  const known = [
    'token',
    'introspection',
    'operations',
    'tracing',
    'growth',
    'profiles',
    'micro',
    'status',
    ...new Set(FLOWS.map((f) => f.key)),
  ];
  const unknown = [...parts].filter((p) => !known.includes(p));
  if (parts.size === 0 || unknown.length > 0) {
    process.stderr.write(`bench: --only takes a comma-separated list of: ${known.join(', ')}\n`);
    process.exit(2);
  }
  return parts;
}
const wants = (part: string) => !only || only.has(part);

if (!existsSync(SERVER_MAIN)) {
  process.stderr.write(`bench: ${SERVER_MAIN} is missing; run \`npm run build\` first\n`);
  process.exit(1);
}
if (!WRK) {
  process.stderr.write('bench: wrk is not installed (`apt-get install wrk`); falling back to autocannon, unpinned\n');
}

const work = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
// Growth state lives in memory-backed files: registering 100,000 clients through the admin API is a
// durable (fsync) write each, which measures the disk, not Tessera; reads are served from cache either way.
const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/tessera-bench-') : mkdtempSync(join(tmpdir(), 'tb-'));
const encryptionKey = randomBytes(32).toString('base64url');
const failures: string[] = [];
const notes: string[] = [];
/** Parts not measured and why, where the suite knows (the goals table shows it). */
const notMeasured: Record<string, string> = {};
let revocation: RevocationResult | undefined;
let subscribers: SubscriberMemory | undefined;
let restartMemory: { clients: number; rssMb: number } | undefined;
/** Flushes writes other systems deferred, before every measured run (bench/lib/quiet-disk.ts); set in main(). */
let quiet: QuietDisk | undefined;
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

function sqliteUrl(name: string, dir = work): string {
  return `sqlite:${join(dir, `${name}.db`)}`;
}

function tesseraOptions(alg: Alg, format: Format, over: Partial<TesseraOptions> = {}): TesseraOptions {
  return {
    alg,
    format,
    cpus: SERVER_CPUS,
    databaseUrl: sqliteUrl(`${alg}-${format}-${randomBytes(3).toString('hex')}`),
    encryptionKey,
    logLevel: 'warn',
    workers: 1,
    ...over,
  };
}

/** One system under test in a group measured together. */
interface Contender {
  group: string;
  system: string;
  label: string;
  start: () => Promise<Target>;
  /** Also paced runs at 60 % of the median capacity. */
  fixedRate: boolean;
  /** taskset CPU list for the load generator (default: core 1). */
  loadCpus?: string;
}

/** A case with nothing measured yet. */
function emptyCase(group: string, system: string, label: string): CaseResult {
  return {
    group,
    system,
    label,
    saturation: [],
    cpuUsPerRequest: [],
    loadUsPerRequest: [],
    busyCores: [],
    paced: [],
    rssIdleMb: Number.NaN,
    rssPeakMb: Number.NaN,
    rssAfterMb: Number.NaN,
    failed: undefined,
  };
}

function checkRun(what: string, r: { bad: number; errors: number }): void {
  if (r.bad > 0 || r.errors > 0)
    throw new Error(`${what}: ${r.bad} wrong responses, ${r.errors} socket errors or timeouts`);
}

/**
 * Saturation runs (and, with fixedRate, paced runs) against several systems
 * started side by side. Run i of every system comes before run i + 1 of any,
 * so drift on a shared machine over the minutes a group takes hits them all
 * alike and their ratios stay fair. A system idle between its runs uses no CPU.
 */
async function measureTogether(contenders: Contender[]): Promise<CaseResult[]> {
  const live: { c: Contender; target: Target; result: CaseResult; peak: () => number }[] = [];
  const results = contenders.map((c) => emptyCase(c.group, c.system, c.label));
  const fail = (c: Contender, result: CaseResult, err: unknown) => {
    result.failed = (err as Error).message.split('\n')[0];
    failures.push(`${c.system} ${c.label}: ${result.failed}`);
    log(`${c.system} ${c.label}: FAILED ${result.failed}`);
  };
  // Each run of one system; a failure ends that system's part and leaves the others running.
  const eachLive = async (run: (e: (typeof live)[number]) => Promise<void>) => {
    for (const e of [...live]) {
      try {
        await run(e);
      } catch (err) {
        fail(e.c, e.result, err);
        live.splice(live.indexOf(e), 1);
        e.peak();
        await e.target.stop();
      }
    }
  };
  try {
    for (const [k, c] of contenders.entries()) {
      log(`${c.system} ${c.label}: starting`);
      const result = results[k] as CaseResult;
      try {
        const target = await c.start();
        result.rssIdleMb = rssMb(target.pid);
        live.push({ c, target, result, peak: watchPeakRss(target.pid) });
      } catch (err) {
        fail(c, result, new Error(`failed to start: ${(err as Error).message}`));
      }
    }
    const loadCpus = (c: Contender) => c.loadCpus ?? LOAD_CPUS;
    if (settings.warmupSeconds > 0) {
      await eachLive(async ({ c, target }) =>
        checkRun(
          'warm-up',
          await saturate(target.tokenUrl, target.creds, BODY, settings.warmupSeconds, 64, loadCpus(c)),
        ),
      );
    }
    for (let i = 0; i < settings.runs; i++) {
      await eachLive(async ({ c, target, result }) => {
        await quiet?.();
        const before = cpuMicros(target.pid);
        const busyBefore = machineBusyMicros();
        const loadBefore = exitedChildrenMicros();
        const r = await saturate(
          target.tokenUrl,
          target.creds,
          BODY,
          settings.seconds,
          settings.connections,
          loadCpus(c),
        );
        const used = cpuMicros(target.pid) - before;
        // wrk, reaped by now, is the only child to have exited during the run; autocannon runs in this process.
        const load = exitedChildrenMicros() - loadBefore;
        checkRun(`saturation run ${i + 1}`, r);
        result.saturation.push(r);
        result.cpuUsPerRequest.push(used / Math.max(1, r.ok + r.bad));
        // tls-load.ts measures itself, without its start-up (tsx), which a short run would otherwise be mostly.
        const generator = r.load_cpu_us ?? load;
        result.loadUsPerRequest.push(generator > 0 ? generator / Math.max(1, r.ok + r.bad) : Number.NaN);
        result.busyCores.push((machineBusyMicros() - busyBefore) / (r.seconds * 1e6));
      });
    }
    for (let i = 0; i < settings.runs; i++) {
      await eachLive(async ({ c, target, result }) => {
        if (!c.fixedRate) return;
        await quiet?.();
        const capacity = median(result.saturation.map((r) => r.ok / r.seconds));
        const r: PacedResult = await paced(
          {
            url: target.tokenUrl,
            rate: Math.max(1, Math.round(capacity * settings.fixedShare)),
            seconds: settings.pacedSeconds,
            warmupSeconds: settings.pacedWarmupSeconds,
            connections: settings.pacedConnections,
            body: BODY,
            ...target.creds,
          },
          loadCpus(c),
        );
        checkRun(`fixed-rate run ${i + 1}`, r);
        result.paced.push(r);
      });
    }
    for (const { c, target, result, peak } of live) {
      result.rssPeakMb = peak();
      result.rssAfterMb = rssMb(target.pid);
      log(
        `${c.system} ${c.label}: ${Math.round(median(result.saturation.map((r) => r.ok / r.seconds)))} tokens/s, ` +
          `p99 ${median(result.saturation.map((r) => r.p99_ms)).toFixed(2)} ms, RSS ${result.rssPeakMb.toFixed(0)} MB`,
      );
    }
  } finally {
    for (const { target, peak } of live) {
      peak();
      await target.stop();
    }
  }
  return results;
}

/** Metrics + rate limiting on (as shipped, plus a server-wide issuance limit) and off, measured together. */
function onOff(alg: Alg): Promise<CaseResult[]> {
  const variants = [
    { label: 'on', env: { TESSERA_METRICS: 'true', TESSERA_TOKEN_RATE_LIMIT: '10000000' } },
    { label: 'off', env: { TESSERA_METRICS: 'false', TESSERA_TOKEN_RATE_LIMIT: '0' } },
  ];
  return measureTogether(
    variants.map((v) => ({
      group: 'operations',
      system: `Tessera (SQLite), metrics + rate limiting ${v.label}`,
      label: v.label,
      start: () => startTessera(tesseraOptions(alg, 'jwt', { env: v.env })),
      fixedRate: false,
    })),
  );
}

/**
 * OpenTelemetry tracing on and off, measured together. On: every request
 * traced (the default sampler, parentbased_always_on, and no caller trace),
 * exported as OTLP/HTTP protobuf to a local sink that discards it; the worst
 * case. Off: no OTEL_* variable, so the SDK is not even loaded.
 */
async function tracingOnOff(alg: Alg): Promise<CaseResult[]> {
  const sink = await startOtlpSink();
  try {
    const variants: { label: string; env: Record<string, string> }[] = [
      { label: 'off', env: {} },
      { label: 'on', env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_SERVICE_NAME: 'tessera-bench' } },
      {
        label: 'on, 1 in 10 sampled',
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
          OTEL_SERVICE_NAME: 'tessera-bench',
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: '0.1',
        },
      },
    ];
    const results = await measureTogether(
      variants.map((v) => ({
        group: 'tracing',
        system: `Tessera (SQLite), tracing ${v.label}`,
        label: v.label,
        start: () => startTessera(tesseraOptions(alg, 'jwt', { env: v.env })),
        fixedRate: false,
      })),
    );
    // Read after the servers stopped: each flushes its last spans on SIGTERM.
    const { posts, bytes } = sink.received();
    if (posts === 0 && !results.some((r) => r.failed)) failures.push('tracing on: the OTLP sink received nothing');
    notes.push(`Tracing on: the OTLP sink received ${posts} export requests, ${(bytes / 1e6).toFixed(1)} MB.`);
    return results;
  } finally {
    await sink.close();
  }
}

/** One saturation run with `node --cpu-prof`, summarised. */
async function profile(name: string, start: (dir: string) => Promise<Target>): Promise<ProfileSummary | undefined> {
  const dir = join(profileDir, name.replace(/[^\w.-]+/g, '-'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`profiling ${name}`);
  let target: Target | undefined;
  try {
    target = await start(dir);
    await saturate(target.tokenUrl, target.creds, BODY, Math.max(settings.warmupSeconds, 1), 64, LOAD_CPUS);
    await saturate(target.tokenUrl, target.creds, BODY, settings.seconds, 64, LOAD_CPUS);
  } catch (err) {
    failures.push(`profile ${name}: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  } finally {
    await target?.stop();
  }
  const file = latestProfile(dir);
  if (!file) {
    failures.push(`profile ${name}: no .cpuprofile written`);
    return undefined;
  }
  return { ...summariseProfile(file, settings.seconds + 0.5), file };
}

async function backingServices(): Promise<{ pgUrl: string; redisUrl: string; drop(): Promise<void> } | undefined> {
  const quick = <T>(p: Promise<T>) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), 4000))]);
  try {
    const redisUrl = await quick(requireRedis());
    const pg = await quick(freshPostgres());
    return { pgUrl: pg.url, redisUrl, drop: () => pg.drop() };
  } catch (err) {
    notes.push(`PostgreSQL + Redis skipped: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/** Capabilities of a build the later parts need, what discovery shows of them, and what to say without them. */
const FEATURES: Record<
  Feature,
  { parts: string[]; shows: (meta: Record<string, unknown>) => boolean; missing: string }
> = {
  federated_jwt: {
    parts: [FEDERATION],
    shows: (meta) =>
      Array.isArray(meta.token_endpoint_auth_methods_supported) &&
      meta.token_endpoint_auth_methods_supported.includes('federated_jwt'),
    missing: 'this build has no trusted-issuer authentication (discovery lists no federated_jwt)',
  },
  status_lists: {
    parts: ['status'],
    shows: (meta) => typeof meta.status_list_events_endpoint === 'string',
    missing: 'this build has no status lists (discovery has no status_list_events_endpoint)',
  },
};

/**
 * Which of FEATURES this build has, from the discovery document of one short-lived server, started only when
 * a wanted part needs one. A part whose feature is missing is skipped and reported as not measured, not failed:
 * the suite runs the same on builds before and after the feature.
 */
async function probeFeatures(): Promise<Set<Feature>> {
  const has = new Set<Feature>();
  const needed = (Object.keys(FEATURES) as Feature[]).filter((f) => FEATURES[f].parts.some(wants));
  if (needed.length === 0) return has;
  const t = await startTessera(tesseraOptions(settings.growthAlg, 'jwt', { registerClient: false }));
  try {
    const meta = JSON.parse((await call(`${t.baseUrl}/.well-known/oauth-authorization-server`)).text);
    for (const f of needed) {
      if (FEATURES[f].shows(meta)) has.add(f);
      else for (const part of FEATURES[f].parts) notMeasured[part] = FEATURES[f].missing;
    }
  } finally {
    await t.stop();
  }
  for (const part of Object.keys(notMeasured)) if (wants(part)) log(`${part}: not measured, ${notMeasured[part]}`);
  return has;
}

/**
 * Status lists: JWT issuance with them on and off, taking turns; then, on one server, the revocation-to-verifier
 * latency through the events stream and the memory of its subscribers.
 */
async function statusLists(alg: Alg): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  // Where the build has issue 30's `status-off` flow, on against off is measured in the flows group instead.
  const inFlows = FLOWS.some((f) => f.key === STATUS_OFF);
  const off: Partial<TesseraOptions> | undefined = inFlows
    ? undefined
    : STATUS_LISTS_OFF
      ? { env: STATUS_LISTS_OFF }
      : process.env.BENCH_STATUS_OFF_MAIN
        ? { main: process.env.BENCH_STATUS_OFF_MAIN }
        : undefined;
  if (inFlows) {
    // Nothing to do here: `--only status-off` (or the full run) measures it.
  } else if (off) {
    results.push(
      ...(await measureTogether(
        (['on', 'off'] as const).map((label) => ({
          group: 'status',
          system: `Tessera (SQLite), status lists ${label}`,
          label,
          start: () => startTessera(tesseraOptions(alg, 'jwt', label === 'on' ? {} : off)),
          fixedRate: false,
        })),
      )),
    );
  } else {
    notMeasured['status-issuance'] =
      'the server has no setting that turns status lists off: set BENCH_STATUS_OFF_MAIN to the main.js of a build without them';
  }
  // Each on a server of its own: the subscribers' memory is read on a fresh one, not after 1,000 revocations.
  const step = async (what: string, measure: (t: TesseraTarget) => Promise<void>) => {
    let t: TesseraTarget | undefined;
    try {
      log(`status lists: ${what}`);
      t = await startTessera(tesseraOptions(alg, 'jwt', { issuerAtAddress: true }));
      await measure(t);
    } catch (err) {
      failures.push(`status lists, ${what}: ${(err as Error).message.split('\n')[0]}`);
    } finally {
      await t?.stop();
    }
  };
  await step(`${settings.revocations} revocations to a subscribed verifier`, async (t) => {
    revocation = await revocationLatency(t, settings.revocations);
  });
  await step(`${settings.subscribers} events stream subscribers`, async (t) => {
    subscribers = await subscriberMemory(t, settings.subscribers);
  });
  return results;
}

/**
 * Federated clients (federated_jwt): the same workload spread over one and over the most clients, each
 * request a platform token picked at random from a file of request bodies, taking turns. The clients are
 * written into the database before the server starts (bench/lib/federated.ts), as registering 100,000
 * through the admin API would take minutes.
 */
function federatedGrowth(): Promise<CaseResult[]> {
  return measureTogether(
    settings.federatedClients.map((n) => ({
      group: 'federation',
      system: 'Tessera (SQLite), federated_jwt',
      label: `${n.toLocaleString('en-US')} federated client(s)`,
      fixedRate: false,
      start: async () => {
        const t = await startTessera(
          tesseraOptions('ES256', 'jwt', { databaseUrl: federatedDatabase(shm, n), registerClient: false }),
        );
        try {
          return await federatedClients(t, n, join(work, `federated-${n}.txt`));
        } catch (err) {
          await t.stop();
          throw err;
        }
      },
    })),
  );
}

/** The largest growth case's server restarted on its database: RSS once the client cache has refilled (stable). */
async function restartedRss(clients: number): Promise<void> {
  const t = await startTessera(
    tesseraOptions(settings.growthAlg, 'jwt', {
      databaseUrl: sqliteUrl(`growth-${clients}`, shm),
      registerClient: false,
    }),
  );
  try {
    // The cache refills in the background after start: wait until RSS holds still for a second, at most 60 s.
    let last = rssMb(t.pid);
    for (let i = 0; i < 120; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const now = rssMb(t.pid);
      if (i >= 3 && Math.abs(now - last) < 0.5) break;
      last = now;
    }
    restartMemory = { clients, rssMb: rssMb(t.pid) };
  } finally {
    await t.stop();
  }
}

async function main(): Promise<Report> {
  const cases: CaseResult[] = [];
  const profiles: { name: string; summary: ProfileSummary }[] = [];
  const backing = await backingServices();
  quiet = await quietDisk(backing?.pgUrl, (line) => notes.push(line));
  const formats: [Alg, Format][] = [...settings.algs.map((a): [Alg, Format] => [a, 'jwt']), ['EdDSA', 'opaque']];
  const label = (alg: Alg, format: Format) => (format === 'opaque' ? 'opaque' : alg);

  // Smoke: one case per system (Tessera SQLite also opaque, PostgreSQL + Redis opaque only).
  const inSmoke = (system: string, format: Format) =>
    system === 'sqlite' || (system === 'pg' ? format === 'opaque' : format === 'jwt');
  const want = (system: string, format: Format) => !smoke || inSmoke(system, format);

  try {
    const features = await probeFeatures();
    // Per token kind, every system side by side, their runs alternating: Tessera (embedded SQLite, then
    // PostgreSQL + Redis), the lean reference, oidc-provider, and Tessera with two workers, where the server
    // may use both cores and the load generator shares them, and Tessera with V8's young generation capped.
    // The last JWT kind also measures the logging cost: Tessera at info (one line per request, to /dev/null).
    const [logAlg, logFormat] = formats.at(-2) as [Alg, Format];
    for (const [alg, format] of wants('token') ? formats : []) {
      const l = label(alg, format);
      const token = (system: string, start: () => Promise<Target>): Contender => ({
        group: 'token',
        system,
        label: l,
        start,
        fixedRate: true,
      });
      const group: Contender[] = [token('Tessera (SQLite)', () => startTessera(tesseraOptions(alg, format)))];
      if (backing && want('pg', format)) {
        const pgOptions = { databaseUrl: backing.pgUrl, redisUrl: backing.redisUrl };
        group.push(token('Tessera (PostgreSQL + Redis)', () => startTessera(tesseraOptions(alg, format, pgOptions))));
      }
      if (want('reference', format)) {
        const refOptions = { alg, format, cpus: SERVER_CPUS };
        const leanDb = join(work, `lean-${l}-${randomBytes(3).toString('hex')}.db`);
        group.push(
          token('lean reference', () => startLean(refOptions, leanDb)),
          token('oidc-provider', () => startOidcProvider(refOptions)),
          {
            group: 'workers',
            system: 'Tessera (SQLite), TESSERA_WORKERS=2',
            label: l,
            start: () => startTessera(tesseraOptions(alg, format, { workers: 2, cpus: undefined })),
            fixedRate: false,
            loadCpus: '0,1',
          },
        );
      }
      if (want('memory', format)) {
        // The same server with V8's young generation capped (docs/deployment.md, Memory): what the cap saves in
        // peak RSS and what it costs in throughput, side by side with the default.
        group.push({
          group: 'memory',
          system: `Tessera (SQLite), NODE_OPTIONS=${settings.youngGenerationCap}`,
          label: l,
          start: () =>
            startTessera(tesseraOptions(alg, format, { env: { NODE_OPTIONS: settings.youngGenerationCap } })),
          fixedRate: false,
        });
      }
      if (alg === logAlg && format === logFormat) {
        group.push({
          group: 'logging',
          system: 'Tessera (SQLite), TESSERA_LOG_LEVEL=info',
          label: l,
          start: () => startTessera(tesseraOptions(alg, format, { logLevel: 'info' })),
          fixedRate: false,
        });
      }
      cases.push(...(await measureTogether(group)));
    }

    // Operations cost: metrics and a per-client issuance limit (checked on every request, never reached) on, as
    // shipped, against both off.
    if (wants('operations')) cases.push(...(await onOff(settings.growthAlg)));
    if (wants('tracing')) cases.push(...(await tracingOnOff(settings.growthAlg)));

    // Introspection: Tessera's JWT and opaque tokens, and oidc-provider's opaque ones, taking turns.
    if (wants('introspection')) {
      const alg = settings.growthAlg;
      const at = (system: string, label: string, start: () => Promise<Target>, path: string): Contender => ({
        group: 'introspection',
        system,
        label,
        start: async () => atIntrospection(await start(), path),
        fixedRate: false,
      });
      cases.push(
        ...(await measureTogether([
          at('Tessera (SQLite)', 'JWT', () => startTessera(tesseraOptions(alg, 'jwt')), '/oauth2/introspect'),
          at('Tessera (SQLite)', 'opaque', () => startTessera(tesseraOptions(alg, 'opaque')), '/oauth2/introspect'),
          at(
            'oidc-provider',
            'opaque',
            () => startOidcProvider({ alg, format: 'opaque', cpus: SERVER_CPUS }, true),
            '/token/introspection',
          ),
        ])),
      );
    }

    // Every flow beyond the plain request, against the plain request of its algorithm sent the same way (HTTP,
    // or HTTPS with a new or a kept-alive connection), all of one algorithm taking turns.
    const flows = FLOWS.filter((f) => wants(f.key) && (!f.needs || features.has(f.needs)));
    for (const alg of new Set(flows.map((f) => f.alg))) {
      const flow = (
        system: string,
        transport: Transport,
        over: Partial<TesseraOptions>,
        prepare?: Flow['prepare'],
      ): Contender => ({
        group: 'flows',
        system,
        label: flowLabel(alg, transport),
        start: async () => {
          const t = await startTessera(tesseraOptions(alg, 'jwt', { ...transportOptions(transport), ...over }));
          if (!prepare) return t;
          try {
            return await prepare(t);
          } catch (err) {
            await t.stop();
            throw err;
          }
        },
        fixedRate: false,
      });
      const ofAlg = flows.filter((f) => f.alg === alg);
      const transports = [...new Set(ofAlg.map((f) => f.transport ?? 'http'))];
      cases.push(
        ...(await measureTogether(
          transports.flatMap((transport) => [
            flow(PLAIN, transport, {}),
            ...ofAlg
              .filter((f) => (f.transport ?? 'http') === transport)
              .map((f) => flow(f.name, transport, f.options(work), f.prepare)),
          ]),
        )),
      );
    }

    // Growth: the same workload spread over N clients (a random one per request), then a long denylist,
    // measured together so each ratio to the one-client case comes from alternating runs.
    const growth = (label: string, start: () => Promise<Target>): Contender => ({
      group: 'growth',
      system: 'Tessera (SQLite)',
      label,
      start,
      fixedRate: false,
    });
    const denyDb = join(shm, 'denylist.db');
    if (wants('growth'))
      cases.push(
        ...(await measureTogether([
          ...settings.growthClients.map((n) =>
            growth(`${n.toLocaleString('en-US')} client(s)`, async () => {
              const file = join(work, `clients-${n}.txt`);
              const t = await startTessera(
                tesseraOptions(settings.growthAlg, 'jwt', {
                  databaseUrl: sqliteUrl(`growth-${n}`, shm),
                  registerClient: false,
                }),
              );
              try {
                const { seconds } = await registerClients(t, n, file, 300_000);
                notes.push(
                  `Registered ${n.toLocaleString('en-US')} client(s) through POST /admin/clients, 32 at a time, in ${seconds.toFixed(1)} s (${Math.round(n / seconds).toLocaleString('en-US')}/s).`,
                );
              } catch (err) {
                await t.stop();
                throw err;
              }
              return { ...t, creds: { authFile: file } };
            }),
          ),
          growth(`1 client, ${settings.denylist.toLocaleString('en-US')} revoked JWTs`, async () => {
            // The store is created (and migrated) by the helper first, then the server opens it.
            const { seconds } = await fillDenylist(denyDb, settings.denylist);
            notes.push(
              `Put ${settings.denylist.toLocaleString('en-US')} jtis on the denylist with SqliteStore.revokeJti in ${seconds.toFixed(1)} s.`,
            );
            return startTessera(tesseraOptions(settings.growthAlg, 'jwt', { databaseUrl: `sqlite:${denyDb}` }));
          }),
        ])),
      );

    if (wants('growth')) await restartedRss(settings.growthClients.at(-1) as number);
    if (wants(FEDERATION) && features.has('federated_jwt')) cases.push(...(await federatedGrowth()));
    if (wants('status') && features.has('status_lists')) cases.push(...(await statusLists(settings.growthAlg)));

    // Profiles: Tessera wherever it falls short of the lean reference (always at least one, so this never rots),
    // and the lean reference beside it.
    const rate = (system: string, l: string) => {
      const c = cases.find((x) => x.group === 'token' && x.system === system && x.label === l);
      return c ? median(c.saturation.map((r) => r.ok / r.seconds)) : Number.NaN;
    };
    const short = formats.filter(([a, f]) => {
      const l = label(a, f);
      return !(rate('Tessera (SQLite)', l) >= rate('lean reference', l));
    });
    for (const [alg, format] of !wants('profiles') ? [] : short.length > 0 ? short : formats.slice(-1)) {
      const l = label(alg, format);
      const t = await profile(`tessera-sqlite-${l}`, (dir) =>
        startTessera(tesseraOptions(alg, format, { cpuProfDir: dir })),
      );
      if (t) profiles.push({ name: `Tessera (SQLite) ${l}`, summary: t });
      const leanDb = join(work, `lean-prof-${l}.db`);
      const r = await profile(`lean-${l}`, (dir) =>
        startLean({ alg, format, cpus: SERVER_CPUS, cpuProfDir: dir }, leanDb),
      );
      if (r) profiles.push({ name: `lean reference ${l}`, summary: r });
    }
    // And the largest growth case, on the database and clients file it left behind.
    const most = settings.growthClients.at(-1) as number;
    const g = !(wants('profiles') && wants('growth'))
      ? undefined
      : await profile(`tessera-sqlite-${most}-clients`, async (dir) => ({
          ...(await startTessera(
            tesseraOptions(settings.growthAlg, 'jwt', {
              databaseUrl: sqliteUrl(`growth-${most}`, shm),
              registerClient: false,
              cpuProfDir: dir,
            }),
          )),
          creds: { authFile: join(work, `clients-${most}.txt`) },
        }));
    if (g)
      profiles.push({
        name: `Tessera (SQLite) ${settings.growthAlg}, ${most.toLocaleString('en-US')} clients`,
        summary: g,
      });
  } finally {
    await quiet?.close().catch(() => {});
    await backing?.drop().catch(() => {});
  }

  const micro = wants('micro') ? await runMicroBenchmarks(smoke) : [];
  for (const m of micro) if (m.failed) failures.push(`${m.file}: ${m.failed}`);

  return {
    smoke,
    notMeasured,
    revocation,
    subscriberMemory: subscribers,
    restartMemory,
    settings: {
      runs: settings.runs,
      seconds: settings.seconds,
      warmupSeconds: settings.warmupSeconds,
      pacedSeconds: settings.pacedSeconds,
      pacedWarmupSeconds: settings.pacedWarmupSeconds,
      connections: settings.connections,
      fixedShare: settings.fixedShare,
      growthAlg: settings.growthAlg,
      youngGenerationCap: settings.youngGenerationCap,
    },
    machine: machine(),
    versions: versions(),
    cases,
    profiles,
    micro,
    notes,
    failures,
    commands: commandsRun,
    durationSeconds: (performance.now() - started) / 1000,
    loadGenerator: WRK ? `wrk (${WRK})` : 'autocannon (wrk missing: apt-get install wrk)',
  };
}

function versions(): Record<string, string> {
  const pkg = (name: string) => {
    try {
      const file = join(import.meta.dirname, '..', 'node_modules', name, 'package.json');
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  let wrk = 'not installed';
  try {
    wrk = execFileSync(WRK ?? 'wrk', ['-v'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  } catch (err) {
    // `wrk -v` prints its version and exits 1.
    wrk = String((err as { stdout?: string }).stdout ?? '').split('\n')[0] || wrk;
  }
  return {
    node: process.version,
    tessera: tesseraBuild(),
    'oidc-provider': pkg('oidc-provider'),
    fastify: pkg('fastify'),
    wrk,
    autocannon: pkg('autocannon'),
  };
}

let exitCode = 0;
try {
  const report = await main();
  const markdown = renderReport(report);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(reportFile, markdown);
  process.stdout.write(`${markdown}\n`);
  log(`report written to ${reportFile} in ${report.durationSeconds.toFixed(0)} s`);
  if (report.failures.length > 0) {
    log(`${report.failures.length} failure(s):\n  ${report.failures.join('\n  ')}`);
    exitCode = 1;
  }
} catch (err) {
  log(`failed: ${(err as Error).stack ?? err}`);
  // Still leave a report behind, so CI shows why.
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    reportFile,
    `# Tessera benchmarks${smoke ? ' (smoke)' : ''}\n\n**The suite failed:**\n\n\`\`\`\n${(err as Error).stack ?? err}\n\`\`\`\n`,
  );
  exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(shm, { recursive: true, force: true });
  removeCertificates();
}
process.exit(exitCode);

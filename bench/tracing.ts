/**
 * What OpenTelemetry tracing costs the token endpoint, on its own and
 * quickly: the same build three times, taking turns so drift favours none:
 * tracing off (no OTEL_* variable: the SDK is not loaded); on with every
 * request traced (the default sampler, parentbased_always_on: the worst
 * case); and on with one request in ten sampled (parentbased_traceidratio
 * 0.1). Spans go as OTLP/HTTP protobuf to a local sink that discards them.
 * The full suite (run.ts) measures off and on in its "Cost of tracing" section.
 *
 *   npm run build && node --import tsx bench/tracing.ts
 *
 * The servers run on core 0 (each idle while another is measured), wrk on
 * core 1. Overrides: BENCH_RUNS (default 4 per side), BENCH_SECONDS (6),
 * BENCH_CASES (`EdDSA:jwt`, e.g. `RS256:jwt,EdDSA:opaque`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, tesseraBuild } from './lib/environment.js';
import { saturate } from './lib/load.js';
import { startOtlpSink } from './lib/otlp-sink.js';
import { cpuMicros } from './lib/proc.js';
import { fixed, median, spread } from './lib/stats.js';
import { type Alg, BODY, type Format, startTessera, type TesseraTarget } from './lib/targets.js';

const runs = Number(process.env.BENCH_RUNS ?? 4);
const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const cases = (process.env.BENCH_CASES ?? 'EdDSA:jwt').split(',').map((c) => c.split(':') as [Alg, Format]);

const sink = await startOtlpSink();
const dir = mkdtempSync(join(tmpdir(), 'tessera-tracing-'));
const exporting = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_SERVICE_NAME: 'tessera-bench' };
const SIDES: { name: string; env: Record<string, string> }[] = [
  { name: 'off', env: {} },
  { name: 'on, every request', env: exporting },
  {
    name: 'on, 1 in 10 sampled',
    env: { ...exporting, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  },
];

function start(alg: Alg, format: Format, env: Record<string, string>): Promise<TesseraTarget> {
  return startTessera({
    alg,
    format,
    cpus: '0',
    databaseUrl: `sqlite:${join(dir, `${randomBytes(4).toString('hex')}.db`)}`,
    encryptionKey: randomBytes(32).toString('base64url'),
    logLevel: 'warn',
    workers: 1,
    env,
  });
}

interface Measured {
  rate: number;
  cpuUs: number;
  p99: number;
}

/** Tokens/s, server CPU µs per token and p99 of one saturation run; only correct answers count. */
async function measure(t: TesseraTarget, s: number): Promise<Measured> {
  const before = cpuMicros(t.pid);
  const r = await saturate(t.tokenUrl, t.creds, BODY, s, 64, '1');
  if (r.bad > 0 || r.errors > 0) throw new Error(`${r.bad} wrong answers, ${r.errors} errors from ${t.tokenUrl}`);
  return { rate: r.ok / r.seconds, cpuUs: (cpuMicros(t.pid) - before) / Math.max(1, r.ok), p99: r.p99_ms };
}

const lines = [
  '# Cost of tracing: the token endpoint with OpenTelemetry off and on',
  '',
  `Build: ${tesseraBuild()}. Machine: ${Object.values(machine()).join(', ')}.`,
  `${runs} runs of ${seconds} s per side and case, taking turns; median (min–max). ` +
    'On: OTLP/HTTP protobuf to a local sink that discards it.',
  '',
  '| case | tracing | tokens/s | ÷ off | server CPU µs/token | p99 ms |',
  '| --- | --- | --- | --- | --- | --- |',
];
try {
  for (const [alg, format] of cases) {
    const targets: TesseraTarget[] = [];
    const got: Measured[][] = SIDES.map(() => []);
    try {
      for (const side of SIDES) targets.push(await start(alg, format, side.env));
      for (const t of targets) await measure(t, 2);
      for (let i = 0; i < runs; i++) {
        const order = i % 2 === 0 ? [...targets.keys()] : [...targets.keys()].reverse();
        for (const k of order) got[k]?.push(await measure(targets[k] as TesseraTarget, seconds));
      }
    } finally {
      for (const t of targets) await t.stop();
    }
    const off = median((got[0] ?? []).map((m) => m.rate));
    for (const [k, side] of SIDES.entries()) {
      const m = got[k] ?? [];
      const rates = m.map((x) => x.rate);
      const line =
        `| ${alg} ${format} | ${side.name} | ${spread(rates)} | ${fixed(median(rates) / off, 3)} | ` +
        `${fixed(median(m.map((x) => x.cpuUs)), 1)} | ${fixed(median(m.map((x) => x.p99)), 2)} |`;
      console.error(line);
      lines.push(line);
    }
  }
  const { posts, bytes } = sink.received();
  if (posts === 0) throw new Error('the OTLP sink received nothing: tracing was not on');
  lines.push('', `The sink received ${posts} export requests, ${(bytes / 1e6).toFixed(1)} MB.`);
} finally {
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(lines.join('\n'));

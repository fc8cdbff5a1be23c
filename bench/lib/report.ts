import type { ProfileSummary } from './cpu-profile.js';
import { FLOW_GOAL, FLOWS, INTROSPECTION_GOAL, PLAIN, STATUS_OFF } from './flows.js';
import { goalRows as issueGoals, LEAN_GOAL, OIDC_GOAL, OIDC_GOAL_RS256 } from './goals.js';
import type { SaturationResult } from './load.js';
import type { MicroResult } from './micro.js';
import type { PacedResult } from './paced-load.js';
import { fixed, int, median, spread } from './stats.js';

/** The markdown report: every figure as median (min–max) of the runs, the goals, and how it was measured. */

export interface CaseResult {
  /** token | workers | memory | logging | operations | tracing | growth */
  group: string;
  system: string;
  label: string;
  saturation: SaturationResult[];
  cpuUsPerRequest: number[];
  /** The load generator's CPU per request in each saturation run (NaN with autocannon, which runs in the suite's process). */
  loadUsPerRequest: number[];
  /** Cores the whole machine kept busy (of 2) during each saturation run: server, load generator and the rest. */
  busyCores: number[];
  paced: PacedResult[];
  rssIdleMb: number;
  rssPeakMb: number;
  rssAfterMb: number;
  failed: string | undefined;
}

/** Revocation to verifier (bench/lib/status-lists.ts): from the revoke call's start until the verifier rejects. */
export interface RevocationResult {
  count: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** RSS of a server before and after `subscribers` clients subscribed to its status list events stream. */
export interface SubscriberMemory {
  subscribers: number;
  rssBeforeMb: number;
  rssAfterMb: number;
}

export interface Report {
  smoke: boolean;
  /** Why a part (a `--only` name) was not measured, where the suite knows: e.g. the build lacks the feature. */
  notMeasured: Record<string, string>;
  revocation?: RevocationResult;
  subscriberMemory?: SubscriberMemory;
  /** RSS of the largest growth case's server restarted on its database, once its client cache refilled. */
  restartMemory?: { clients: number; rssMb: number };
  settings: {
    runs: number;
    seconds: number;
    warmupSeconds: number;
    pacedSeconds: number;
    pacedWarmupSeconds: number;
    connections: number;
    fixedShare: number;
    growthAlg: string;
    /** NODE_OPTIONS of the memory cases. */
    youngGenerationCap: string;
  };
  machine: Record<string, string>;
  versions: Record<string, string>;
  cases: CaseResult[];
  profiles: { name: string; summary: ProfileSummary }[];
  micro: MicroResult[];
  notes: string[];
  failures: string[];
  commands: string[];
  durationSeconds: number;
  loadGenerator: string;
}

const TESSERA = 'Tessera (SQLite)';
const TESSERA_PG = 'Tessera (PostgreSQL + Redis)';
const LEAN = 'lean reference';
const OIDC = 'oidc-provider';

const rates = (c: CaseResult) => c.saturation.map((r) => r.ok / r.seconds);
const rate = (c: CaseResult | undefined) => (c && !c.failed ? median(rates(c)) : Number.NaN);
const ms = (n: number) => fixed(n, 2);
const busy = (c: CaseResult | undefined) => (c && !c.failed ? median(c.busyCores) : Number.NaN);
const mark = (ok: boolean | undefined) => (ok === undefined ? '–' : ok ? 'met' : '**not met**');

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function saturationRow(c: CaseResult, first: string[]): string[] {
  if (c.failed) return [...first, `failed: ${c.failed}`, '', '', '', ''];
  return [
    ...first,
    spread(rates(c)),
    spread(
      c.saturation.map((r) => r.p50_ms),
      ms,
    ),
    spread(
      c.saturation.map((r) => r.p99_ms),
      ms,
    ),
    spread(c.cpuUsPerRequest, (n) => fixed(n, 0)),
    `${fixed(c.rssIdleMb, 0)} → ${fixed(c.rssPeakMb, 0)} → ${fixed(c.rssAfterMb, 0)}`,
  ];
}

/**
 * Memory as a documented bound (bench/README.md, decisions): RSS idle, under load and with many clients,
 * the largest figure of each kind this run measured, beside the lean reference's where it has one.
 */
function memorySection(r: Report): string[] {
  const peak = (c: CaseResult) => (c.failed ? Number.NaN : c.rssPeakMb);
  const max = (xs: number[]) => {
    const ok = xs.filter(Number.isFinite);
    return ok.length ? Math.max(...ok) : Number.NaN;
  };
  const of = (group: string, system: string, jwt?: boolean) =>
    r.cases.filter(
      (c) => c.group === group && c.system.startsWith(system) && (jwt === undefined || (c.label !== 'opaque') === jwt),
    );
  const mb = (n: number) => (Number.isFinite(n) ? `${fixed(n, 0)} MB` : '–');
  const clientCases = r.cases
    .filter((c) => c.group === 'growth' && /^[\d,]+ client\(s\)$/.test(c.label))
    .map((c) => ({ c, n: Number(c.label.split(' ')[0]?.replaceAll(',', '')) }));
  const one = clientCases.find((x) => x.n === 1);
  const most = clientCases.at(-1);
  const perClientKb = one && most && most.n > 1 ? ((peak(most.c) - peak(one.c)) * 1024) / (most.n - 1) : Number.NaN;
  const sub = r.subscriberMemory;
  const rows: string[][] = [
    [
      'idle, after start (one client)',
      mb(max(of('token', TESSERA).map((c) => c.rssIdleMb))),
      mb(max(of('token', LEAN).map((c) => c.rssIdleMb))),
      'token',
    ],
    [
      'under load, JWTs (peak at saturation)',
      mb(max(of('token', TESSERA, true).map(peak))),
      mb(max(of('token', LEAN, true).map(peak))),
      'token',
    ],
    [
      'under load, opaque tokens (peak)',
      mb(max(of('token', TESSERA, false).map(peak))),
      mb(max(of('token', LEAN, false).map(peak))),
      'token',
    ],
    ['under load, young generation capped (peak)', mb(max(of('memory', TESSERA).map(peak))), '', 'token'],
    ['under load, TESSERA_WORKERS=2 (peak, all processes)', mb(max(of('workers', TESSERA).map(peak))), '', 'token'],
  ];
  if (most && most.n > 1)
    rows.push(
      [`${most.c.label}, just registered (idle)`, mb(most.c.rssIdleMb), '', 'growth'],
      [
        `${most.c.label}, restarted, client cache refilled (idle)`,
        mb(r.restartMemory?.clients === most.n ? r.restartMemory.rssMb : Number.NaN),
        '',
        'growth',
      ],
      [`${most.c.label}, under load, a random client per request (peak)`, mb(peak(most.c)), '', 'growth'],
      [
        'per cached client: (peak with the most − peak with one) ÷ the clients added',
        Number.isFinite(perClientKb) ? `${fixed(perClientKb, 2)} KB` : '–',
        '',
        'growth',
      ],
    );
  if (sub)
    rows.push([
      'per 1,000 status list event subscribers (SSE)',
      `${fixed(((sub.rssAfterMb - sub.rssBeforeMb) * 1000) / sub.subscribers, 1)} MB`,
      '',
      'status',
    ]);
  const measured = rows.filter((row) => row[1] !== '–');
  if (measured.length === 0) return [];
  return [
    '## Memory (a documented bound, not a goal)',
    'RSS of one server process (VmRSS), the largest this run measured in each state; no V8 flag is set by default ' +
      '(bench/README.md, decisions; docs/deployment.md, Memory says what the figures mean for an operator).',
    table(['state', 'Tessera', 'lean reference', 'part'], measured),
  ];
}

export function renderReport(r: Report): string {
  const s = r.settings;
  const find = (group: string, system: string, label: string) =>
    r.cases.find((c) => c.group === group && c.system === system && c.label === label);
  const labels = [...new Set(r.cases.filter((c) => c.group === 'token').map((c) => c.label))];
  const out: string[] = [];
  const p = (...lines: string[]) => out.push(...lines, '');

  p(
    `# Tessera benchmarks${r.smoke ? ' (smoke)' : ''}`,
    `Generated ${new Date().toISOString()} by \`${r.smoke ? 'npm run bench:smoke' : 'npm run bench'}\` in ${fixed(r.durationSeconds / 60, 1)} min.` +
      (r.smoke
        ? ' Smoke mode: 1 short run per case, a subset of cases; the figures only prove the benchmarks run.'
        : ''),
  );
  if (r.failures.length > 0) p('**Failures:**', ...r.failures.map((f) => `- ${f}`));

  p(
    '## Machine and versions',
    table(
      ['', ''],
      [...Object.entries(r.machine).map(([k, v]) => [k, v]), ...Object.entries(r.versions).map(([k, v]) => [k, v])],
    ),
  );

  p(
    '## Method',
    [
      `- Request: \`POST /token\` with \`grant_type=client_credentials&scope=a+b\`, \`client_secret_basic\`; the client is allowed scopes \`a b\` and audience \`calendar\`. Only \`200\` answers with an \`access_token\` count (bench/lib/token.lua); any other answer or socket error fails the run.`,
      `- Each server runs alone on core 0 (\`taskset -c 0\`), the load generator on core 1 (\`taskset -c 1\`), except TESSERA_WORKERS=2 where both are unpinned and share the two cores.`,
      `- Tessera runs from \`packages/server/dist/main.js\` with \`TESSERA_LOG_LEVEL=warn\` (one case at \`info\` shows the cost of the per-request log line, written to /dev/null); SQLite on local disk, or PostgreSQL + Redis on 127.0.0.1. The reference servers are type-stripped to plain .mjs (bench/results/.build) so no loader sits in their memory.`,
      `- Saturation: ${r.loadGenerator}, 1 thread, ${s.connections} connections, ${s.warmupSeconds} s warm-up, then ${s.runs} × ${s.seconds} s; each figure is the median (min–max) of the runs. The systems compared in one table (per token kind: Tessera on both stores, the lean reference, oidc-provider, two workers, Tessera with its young generation capped and, for EdDSA, the info log level; the growth cases; metrics on and off) run side by side and take turns: run i of each before run i + 1 of any, so drift on the shared machine hits them alike.`,
      `- Fixed rate: ${Math.round(s.fixedShare * 100)} % of the median saturation throughput, offered by the paced open-loop generator in bench/lib/paced-load.ts (wrk2-style constant rate over ${s.connections} keep-alive connections; latency measured from when each request was due, so queueing is not hidden; raw sockets and a clock polled every loop turn keep the generator's own lateness, reported in the last column, well under the latencies it measures), ${s.runs} × ${s.pacedSeconds} s after ${s.pacedWarmupSeconds} s not counted. Autocannon's overallRate was not used: it is a closed loop per connection and misses queueing delay.`,
      '- Before every measured run (saturation or fixed rate, of any system): PostgreSQL `CHECKPOINT` and `sync`, so writes one system deferred are not flushed during the run of another (bench/lib/quiet-disk.ts).',
      '- CPU µs per request: utime + stime of the server process tree (/proc/<pid>/stat) over a run, divided by the requests answered. RSS (VmRSS, /proc/<pid>/status): idle after start → peak while under load (sampled every 250 ms) → after the last run.',
      `- Growth: ${s.growthAlg} JWTs, SQLite in /dev/shm, wrk picks a random client per request from a file of Authorization headers; the largest case's server is then restarted on its database and its RSS read once the client cache has refilled.`,
      '- Flows: each beside the plain request (client_secret_basic, Bearer) of its algorithm sent the same way, taking turns. The HTTPS rows (mutual TLS and their plain baselines) are sent by bench/lib/tls-load.ts, which can present a client certificate (wrk cannot), on a new TLS connection per request (full handshake) or on kept-alive ones.',
      '- Parts that need a capability the build may lack (trusted issuers, status lists) look for it in the discovery document first; without it they are reported as not measured.',
    ].join('\n'),
  );

  // The goals of issue 32, each from this run's figures.
  const goals = issueGoals(r);
  p(
    '## Goals (issue 32)',
    'Each computed from the figures below; "not measured" where this run did not measure the cases (`--only`, smoke, or a build without the feature). ' +
      'Memory is a documented bound, not a goal: see "Memory" below.',
    table(
      ['goal', 'case', 'measured', '', 'note'],
      goals.map((g) => [g.goal, g.case, g.measured, g.verdict, g.note]),
    ),
  );

  // Per token kind, with what the earlier goals asked, now reported (bench/README.md, decisions).
  const kindRows: string[][] = [];
  for (const l of labels) {
    const t = find('token', TESSERA, l);
    const lean = rate(find('token', LEAN, l));
    const oidc = rate(find('token', OIDC, l));
    const w2case = find('workers', 'Tessera (SQLite), TESSERA_WORKERS=2', l);
    const w2 = rate(w2case);
    const tr = rate(t);
    const rss = t && !t.failed ? t.rssPeakMb : Number.NaN;
    const p99 = t?.paced.length ? median(t.paced.map((x) => x.p99_ms)) : Number.NaN;
    const ok = (n: number, goal: number) => (Number.isFinite(n) ? n >= goal : undefined);
    kindRows.push([
      l,
      `${fixed(tr / lean)} × ${mark(ok(tr / lean, LEAN_GOAL))}`,
      `${fixed(tr / oidc)} × ${mark(ok(tr / oidc, l === 'RS256' ? OIDC_GOAL_RS256 : OIDC_GOAL))}`,
      `${fixed(rss, 0)} MB`,
      `${ms(p99)} ms`,
      `${fixed(w2 / tr)} × (${fixed(busy(w2case))} of 2 cores busy)`,
    ]);
  }
  if (labels.length > 0)
    p(
      '## Token endpoint per kind (Tessera, embedded SQLite, one core)',
      'The p99 at a fixed rate and two workers are reported, not chased: where they fall short (opaque tokens), the bound is this ' +
        "machine's disk and the load generator sharing the cores, as the lean reference shows (bench/README.md, decisions).",
      table(
        [
          'token',
          `÷ lean reference (≥ ${fixed(LEAN_GOAL)})`,
          `÷ oidc-provider (≥ ${fixed(OIDC_GOAL)}, RS256 ≥ ${fixed(OIDC_GOAL_RS256)})`,
          'peak RSS',
          `p99 at ${Math.round(s.fixedShare * 100)} %`,
          '2 workers ÷ 1',
        ],
        kindRows,
      ),
    );

  // The same measures for the ceiling of the stack: a goal the lean reference misses too is a bound of the stack.
  if (labels.length > 0)
    p(
      '## The lean reference against the same goals',
      'Where the lean reference (the least a Fastify token endpoint can do) misses a goal too, the bound is the stack: ' +
        'signing, Node.js and V8, not what Tessera adds. For peak RSS, see also “Young generation capped” below.',
      table(
        ['token', 'lean ÷ oidc-provider', 'lean peak RSS MB', `lean p99 at ${Math.round(s.fixedShare * 100)} % ms`],
        labels.map((l) => {
          const lean = find('token', LEAN, l);
          const p99 = lean?.paced.length ? median(lean.paced.map((x) => x.p99_ms)) : Number.NaN;
          return [
            l,
            fixed(rate(lean) / rate(find('token', OIDC, l))),
            fixed(lean && !lean.failed ? lean.rssPeakMb : Number.NaN, 0),
            ms(p99),
          ];
        }),
      ),
    );

  if (labels.length > 0)
    p(
      '## Ratios per algorithm (median tokens/s ÷ median tokens/s)',
      table(
        [
          'token',
          'Tessera SQLite ÷ lean',
          'Tessera SQLite ÷ oidc-provider',
          'Tessera PG+Redis ÷ lean',
          'Tessera PG+Redis ÷ oidc-provider',
        ],
        labels.map((l) => {
          const t = rate(find('token', TESSERA, l));
          const pg = rate(find('token', TESSERA_PG, l));
          const lean = rate(find('token', LEAN, l));
          const oidc = rate(find('token', OIDC, l));
          return [l, fixed(t / lean), fixed(t / oidc), fixed(pg / lean), fixed(pg / oidc)];
        }),
      ),
    );

  const head = ['tokens/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'RSS MB idle → peak → after'];
  if (labels.length > 0)
    p(
      `## Token endpoint at saturation (${s.connections} connections)`,
      table(
        ['token', 'system', ...head],
        labels.flatMap((l) =>
          r.cases.filter((c) => c.group === 'token' && c.label === l).map((c) => saturationRow(c, [l, c.system])),
        ),
      ),
    );

  if (labels.length > 0)
    p(
      `## At a fixed ${Math.round(s.fixedShare * 100)} % of capacity (paced open loop)`,
      table(
        [
          'token',
          'system',
          'offered /s',
          'achieved /s',
          'p50 ms',
          'p99 ms',
          'p99.9 ms',
          'max ms',
          'generator late p99 ms',
        ],
        labels.flatMap((l) =>
          r.cases
            .filter((c) => c.group === 'token' && c.label === l && c.paced.length > 0)
            .map((c) => [
              l,
              c.system,
              int(c.paced[0]?.target_rate ?? Number.NaN),
              spread(c.paced.map((x) => x.achieved_rate)),
              spread(
                c.paced.map((x) => x.p50_ms),
                ms,
              ),
              spread(
                c.paced.map((x) => x.p99_ms),
                ms,
              ),
              spread(
                c.paced.map((x) => x.p999_ms),
                ms,
              ),
              spread(
                c.paced.map((x) => x.max_ms),
                ms,
              ),
              spread(
                c.paced.map((x) => x.lateness_p99_ms),
                ms,
              ),
            ]),
        ),
      ),
    );

  const workers = r.cases.filter((c) => c.group === 'workers');
  if (workers.length > 0)
    p(
      '## TESSERA_WORKERS=2 (server and wrk share both cores)',
      table(
        [
          'token',
          '1 worker, pinned (tokens/s)',
          ...head,
          '÷ 1 worker',
          'cores busy (of 2)',
          'wrk CPU µs/req',
          'most 2 cores allow ÷ 1',
        ],
        workers.map((c) => {
          const one = rate(find('token', TESSERA, c.label));
          const bound = 2e6 / (median(c.cpuUsPerRequest) + median(c.loadUsPerRequest)) / one;
          return [
            ...saturationRow(c, [c.label, int(one)]),
            fixed(rate(c) / one),
            fixed(busy(c)),
            int(median(c.loadUsPerRequest)),
            fixed(bound),
          ];
        }),
      ),
      'Cores busy: the whole machine (/proc/stat, all but idle and iowait) during the runs, server, wrk and all. ' +
        'The one-worker figure had a core to itself and wrk the other; here the two workers share both cores with wrk. ' +
        'Most 2 cores allow: two cores of CPU time divided by what one request cost in these runs, the workers (CPU µs/req) ' +
        'plus wrk (its own CPU time, from cutime + cstime of the suite, per request), as a multiple of the one-worker ' +
        'figure. Where ÷ 1 worker comes near it, the workers scale fully and the rest of the machine went to the load generator.',
    );

  // A variant of Tessera, each row after the default Tessera case of its token kind, with its ratio to it.
  const againstDefault = (variants: CaseResult[], defaultName: string, variantName: string) =>
    variants.flatMap((c) => {
      const byDefault = find('token', TESSERA, c.label);
      return [
        ...(byDefault ? [saturationRow(byDefault, [c.label, defaultName]).concat('1.00')] : []),
        saturationRow(c, [c.label, variantName]).concat(fixed(rate(c) / rate(byDefault))),
      ];
    });

  const logging = r.cases.filter((c) => c.group === 'logging');
  if (logging.length > 0)
    p(
      '## Logging cost',
      table(['token', 'log level', ...head, 'info ÷ warn'], againstDefault(logging, 'warn', 'info')),
    );

  const memory = r.cases.filter((c) => c.group === 'memory');
  if (memory.length > 0)
    p(
      `## Young generation capped (NODE_OPTIONS=${s.youngGenerationCap})`,
      'V8 grows its young generation to two 16 MiB semi-spaces under sustained load; capped, it stays small. ' +
        'Measured side by side with the default, in the same turns (docs/deployment.md, Memory).',
      table(['token', 'young generation', ...head, 'capped ÷ default'], againstDefault(memory, 'default', 'capped')),
    );

  const operations = r.cases.filter((c) => c.group === 'operations');
  const off = operations.find((c) => c.label === 'off');
  if (operations.length > 0)
    p(
      '## Cost of metrics and rate limiting (same run, alternating)',
      'On: TESSERA_METRICS=true and TESSERA_TOKEN_RATE_LIMIT=10000000 (a limit counted on every request, never reached); ' +
        'off: TESSERA_METRICS=false, TESSERA_TOKEN_RATE_LIMIT=0. Goal: on ≥ 0.95 × off.',
      table(
        ['setting', ...head, 'on ÷ off'],
        operations.map((c) => saturationRow(c, [c.label]).concat(fixed(rate(c) / rate(off)))),
      ),
    );

  const introspection = r.cases.filter((c) => c.group === 'introspection');
  const oidcIntrospection = rate(introspection.find((c) => c.system === OIDC));
  if (introspection.length > 0)
    p(
      '## Introspection (RFC 7662, same run, alternating)',
      'One token, introspected by the client it was issued to; only `"active":true` answers count. ' +
        `oidc-provider keeps no JWT access tokens to introspect, so both of Tessera's formats are set against its opaque tokens. Goal: Tessera ≥ ${fixed(INTROSPECTION_GOAL)} × oidc-provider.`,
      table(
        ['token', 'system', ...head, '÷ oidc-provider', `goal (≥ ${fixed(INTROSPECTION_GOAL)})`],
        introspection.map((c) => {
          const ratio = rate(c) / oidcIntrospection;
          const goal = c.system === OIDC ? '' : mark(Number.isFinite(ratio) ? ratio >= INTROSPECTION_GOAL : undefined);
          return saturationRow(c, [c.label, c.system]).concat(fixed(ratio), goal);
        }),
      ),
    );

  const flows = r.cases.filter((c) => c.group === 'flows');
  // Status lists off is a baseline, not a new flow: its goal is in the goals table.
  const notNewFlows = new Set(FLOWS.filter((f) => f.key === STATUS_OFF).map((f) => f.name));
  if (flows.length > 0)
    p(
      '## Flows against the plain request (same algorithm, same run, alternating)',
      `Each flow beside the plain client_credentials request (client_secret_basic, a Bearer JWT) of its algorithm, on its own server, taking turns. Goal: every flow ≥ ${fixed(FLOW_GOAL)} × plain (bench/lib/flows.ts).`,
      table(
        ['token', 'flow', ...head, '÷ plain', `goal (≥ ${fixed(FLOW_GOAL)})`],
        flows.map((c) => {
          const ratio = rate(c) / rate(find('flows', PLAIN, c.label));
          const held = c.system !== PLAIN && !notNewFlows.has(c.system);
          const goal = held ? mark(Number.isFinite(ratio) ? ratio >= FLOW_GOAL : undefined) : '';
          return saturationRow(c, [c.label, c.system]).concat(fixed(ratio), goal);
        }),
      ),
    );
  const https = flows.filter((c) => c.label.includes('HTTPS'));
  if (https.length > 0)
    p(
      '### The HTTPS rows: who set the pace',
      'The HTTPS rows (mutual TLS and their plain baselines) are sent by bench/lib/tls-load.ts, since wrk cannot present a client certificate: ' +
        'each baseline is the same plain request (client_secret_basic, Bearer) over HTTPS from the same generator, to a server with the same ' +
        'TLS settings (TESSERA_TLS_CLIENT_CA set, so it asks every connection for a certificate; the plain client sends none), ' +
        'with a new TLS connection per request (a full handshake each, no session resumption, `Connection: close`) or kept-alive connections. ' +
        'On a new connection per request the generator does a handshake too, and can be the busier core; then the throughput ratio is ' +
        "the generator's, and the ratio of the server's CPU per request (the last column) is the server's.",
      table(
        [
          'token',
          'flow',
          'server core busy',
          'generator core busy',
          'generator CPU µs/req',
          "÷ plain, by the server's CPU µs/req",
        ],
        https.map((c) => {
          const plain = find('flows', PLAIN, c.label);
          const r0 = rate(c);
          return [
            c.label,
            c.system,
            `${fixed((median(c.cpuUsPerRequest) * r0) / 1e4, 0)} %`,
            `${fixed((median(c.loadUsPerRequest) * r0) / 1e4, 0)} %`,
            fixed(median(c.loadUsPerRequest), 0),
            c.system === PLAIN ? '' : fixed(median(plain?.cpuUsPerRequest ?? []) / median(c.cpuUsPerRequest)),
          ];
        }),
      ),
    );

  const tracing = r.cases.filter((c) => c.group === 'tracing');
  const untraced = tracing.find((c) => c.label === 'off');
  if (tracing.length > 0)
    p(
      '## Cost of tracing (same run, alternating)',
      'On: OTEL_EXPORTER_OTLP_ENDPOINT set, spans sent as OTLP/HTTP protobuf to a local sink that discards them, with ' +
        'the default sampler (parentbased_always_on): every request traced, the worst case; and with one request in ten ' +
        'sampled (parentbased_traceidratio 0.1). Off: no OTEL_* variable, the SDK not even loaded (docs/observability.md).',
      table(
        ['tracing', ...head, 'on ÷ off'],
        tracing.map((c) => saturationRow(c, [c.label]).concat(fixed(rate(c) / rate(untraced)))),
      ),
    );

  const growth = r.cases.filter((c) => c.group === 'growth');
  const base = rate(growth[0]);
  if (growth.length > 0)
    p(
      `## Growth (${s.growthAlg}, embedded SQLite; client cache holds up to TESSERA_CLIENT_CACHE_SIZE, default 100,000)`,
      table(
        ['case', ...head, '÷ 1 client'],
        growth.map((c) => saturationRow(c, [c.label]).concat(fixed(rate(c) / base))),
      ),
    );

  const federation = r.cases.filter((c) => c.group === 'federation');
  if (federation.length > 0)
    p(
      '## Federated clients (federated_jwt, ES256, embedded SQLite in /dev/shm)',
      "Each request authenticates with a platform JWT from a trusted issuer (the bench's, its keys given inline) as `client_assertion`, without " +
        'client_id: Tessera finds the one client that accepts the identity. Every workload authenticates once before the runs (steady state: a platform token is reused for its life, so its signature is checked once); then wrk picks a client at random per request from a file of request bodies. ' +
        'Goal: the most clients ≥ 0.90 × one.',
      table(
        ['case', ...head, '÷ 1 client'],
        federation.map((c) => saturationRow(c, [c.label]).concat(fixed(rate(c) / rate(federation[0])))),
      ),
    );

  const status = r.cases.filter((c) => c.group === 'status');
  if (status.length > 0 || r.revocation || r.subscriberMemory) {
    const off = status.find((c) => c.label === 'off');
    p(
      '## Status lists (same run, alternating)',
      ...(status.length > 0
        ? [
            'JWT issuance with status lists on (every token carries a `status` claim) and off. Goal: on ≥ 0.97 × off.',
            table(
              ['status lists', ...head, 'on ÷ off'],
              status.map((c) => saturationRow(c, [c.label]).concat(fixed(rate(c) / rate(off)))),
            ),
          ]
        : []),
      ...(r.revocation
        ? [
            `Revocation to verifier: ${r.revocation.count.toLocaleString('en-US')} tokens revoked one at a time (POST /oauth2/revoke), each already accepted by a @tessera/verify verifier subscribed to \`status_list_events_endpoint\`; ` +
              'the time from the revoke call starting until that verifier rejects the token: ' +
              `p50 ${ms(r.revocation.p50_ms)} ms, p99 ${ms(r.revocation.p99_ms)} ms, max ${ms(r.revocation.max_ms)} ms (goal: p99 ≤ 1 s).`,
          ]
        : []),
      ...(r.subscriberMemory
        ? [
            `Events stream subscribers: ${r.subscriberMemory.subscribers.toLocaleString('en-US')} open SSE connections took the server from ` +
              `${fixed(r.subscriberMemory.rssBeforeMb, 0)} to ${fixed(r.subscriberMemory.rssAfterMb, 0)} MB of RSS, ` +
              `${fixed(((r.subscriberMemory.rssAfterMb - r.subscriberMemory.rssBeforeMb) * 1000) / r.subscriberMemory.subscribers, 1)} MB per 1,000.`,
          ]
        : []),
    );
  }

  const bound = memorySection(r);
  if (bound.length > 0) p(...bound);

  if (r.profiles.length > 0) {
    p(
      '## CPU profiles (`node --cpu-prof`, server pinned to core 0, at saturation)',
      'Self time, as a share of the samples where the process was busy (idle excluded).',
    );
    // Self-time shares × the CPU µs per request measured for the same case (an estimate: the profile is its own run).
    const usPerRequest = (profileName: string) => {
      const c = r.cases.find((x) => x.group === 'token' && `${x.system} ${x.label}` === profileName);
      return c ? median(c.cpuUsPerRequest) : Number.NaN;
    };
    const pairs = r.profiles.filter((x) => x.name.startsWith(TESSERA));
    for (const t of pairs) {
      const label = t.name.slice(TESSERA.length + 1);
      const lean = r.profiles.find((x) => x.name === `${LEAN} ${label}`);
      if (!lean) continue;
      const tUs = usPerRequest(t.name);
      const lUs = usPerRequest(lean.name);
      const parts = [...new Set([...t.summary.parts, ...lean.summary.parts].map((x) => x.part))];
      const share = (sum: ProfileSummary, part: string) => sum.parts.find((x) => x.part === part)?.pct ?? 0;
      p(
        `### Where the CPU time per request goes: Tessera vs lean reference, ${label}`,
        `CPU per request (saturation runs): Tessera ${fixed(tUs, 0)} µs, lean reference ${fixed(lUs, 0)} µs. Each part's self-time share × that figure:`,
        table(
          ['part of the stack', 'Tessera µs/req', 'lean µs/req', 'difference'],
          parts
            .map((part) => {
              const a = (share(t.summary, part) * tUs) / 100;
              const b = (share(lean.summary, part) * lUs) / 100;
              return { part, a, b };
            })
            .sort((x, y) => y.a - y.b - (x.a - x.b))
            .map(({ part, a, b }) => [part, fixed(a, 1), fixed(b, 1), fixed(a - b, 1)]),
        ),
      );
    }
    for (const { name, summary } of r.profiles) {
      p(
        `### ${name}`,
        `${int(summary.samples)} samples, ${fixed(summary.idlePct, 1)} % idle; profile: \`${summary.file.replace(/^.*\/bench\//, 'bench/')}\``,
        table(
          ['part of the stack', 'self %'],
          summary.parts.map((x) => [x.part, fixed(x.pct, 1)]),
        ),
        table(
          ['function', 'where', 'self %'],
          summary.functions.map((f) => [`\`${f.name}\``, f.where, fixed(f.pct, 1)]),
        ),
      );
    }
  }

  if (r.micro.length > 0) {
    p('## Library micro-benchmarks');
    for (const m of r.micro) {
      p(
        `### ${m.file} (${fixed(m.seconds, 1)} s${m.failed ? `, **${m.failed}**` : ''})`,
        '```',
        m.output || '(no output)',
        '```',
      );
    }
  }

  if (r.notes.length > 0) p('## Notes', ...r.notes.map((n) => `- ${n}`));
  p(
    '## Every command run',
    `<details><summary>${r.commands.length} commands</summary>`,
    '',
    '```sh',
    ...r.commands,
    '```',
    '</details>',
  );
  return out.join('\n');
}

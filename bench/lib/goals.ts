import { FEDERATION, FLOW_GOAL, FLOWS, type Flow, flowLabel, INTROSPECTION_GOAL, PLAIN, STATUS_OFF } from './flows.js';
import type { CaseResult, Report } from './report.js';
import { fixed, median } from './stats.js';

/**
 * The goals of issue 32, each computed from what the run measured, met or
 * not; a goal whose cases this run did not measure says so, and why.
 */

/** Tessera's token endpoint against the lean reference (the least a Fastify token endpoint can do), per kind. */
export const LEAN_GOAL = 0.9;
/** …and against oidc-provider; RS256 less, where RSA signing bounds both. */
export const OIDC_GOAL = 1.6;
export const OIDC_GOAL_RS256 = 1.5;
/** Status lists on may cost issuance at most 3 %. */
export const STATUS_LIST_GOAL = 0.97;
/** A revocation reaches a verifier subscribed to the events stream within this, at p99. */
export const REVOCATION_P99_GOAL_MS = 1000;
/** 100,000 federated clients against one. */
export const FEDERATION_GROWTH_GOAL = 0.9;

export const TOKEN_KINDS = ['RS256', 'ES256', 'EdDSA', 'opaque'] as const;

export interface GoalRow {
  goal: string;
  case: string;
  measured: string;
  verdict: string;
  note: string;
}

const rate = (c: CaseResult | undefined) =>
  c && !c.failed ? median(c.saturation.map((r) => r.ok / r.seconds)) : Number.NaN;
const verdict = (n: number, ok: (n: number) => boolean) =>
  Number.isFinite(n) ? (ok(n) ? 'met' : '**not met**') : 'not measured';

export function goalRows(r: Report): GoalRow[] {
  const find = (group: string, system: string, label: string) =>
    r.cases.find((c) => c.group === group && c.system === system && c.label === label);
  /** Why nothing was measured for `part`: the suite's reason, a failure, or the run not including it. */
  const why = (part: string, c?: CaseResult) =>
    c?.failed
      ? `failed: ${c.failed}`
      : (r.notMeasured[part] ??
        r.notMeasured[part.split('-')[0] as string] ??
        (r.smoke ? 'not in smoke runs' : 'not in this run'));
  const rows: GoalRow[] = [];
  const ratioRow = (
    goal: string,
    name: string,
    a: CaseResult | undefined,
    b: CaseResult | undefined,
    min: number,
    part: string,
    note = '',
  ) => {
    const x = rate(a) / rate(b);
    const measured = Number.isFinite(x);
    rows.push({
      goal,
      case: name,
      measured: measured ? `${fixed(x)} ×` : '–',
      verdict: verdict(x, (n) => n >= min),
      note: measured ? note : why(part, a?.failed ? a : b),
    });
  };

  for (const kind of TOKEN_KINDS) {
    const t = find('token', 'Tessera (SQLite)', kind);
    const lean = find('token', 'lean reference', kind);
    ratioRow(`token endpoint ≥ ${fixed(LEAN_GOAL)} × the lean reference`, kind, t, lean, LEAN_GOAL, 'token');
  }
  for (const kind of TOKEN_KINDS) {
    const t = find('token', 'Tessera (SQLite)', kind);
    const oidc = find('token', 'oidc-provider', kind);
    const goal = kind === 'RS256' ? OIDC_GOAL_RS256 : OIDC_GOAL;
    const ceiling = rate(find('token', 'lean reference', kind)) / rate(oidc);
    ratioRow(
      `token endpoint ≥ ${fixed(OIDC_GOAL)} × oidc-provider (RS256 ≥ ${fixed(OIDC_GOAL_RS256)})`,
      kind,
      t,
      oidc,
      goal,
      'token',
      `same-run ceiling: the lean reference ${fixed(ceiling)} ×`,
    );
  }
  const oidcIntrospection = find('introspection', 'oidc-provider', 'opaque');
  for (const kind of ['JWT', 'opaque']) {
    ratioRow(
      `introspection ≥ ${fixed(INTROSPECTION_GOAL)} × oidc-provider's`,
      kind,
      find('introspection', 'Tessera (SQLite)', kind),
      oidcIntrospection,
      INTROSPECTION_GOAL,
      'introspection',
      "against oidc-provider's opaque tokens",
    );
  }
  const flowRow = (goal: string, f: Flow, min: number) => {
    const label = flowLabel(f.alg, f.transport);
    const name = `${f.name}, ${label}`;
    const c = find('flows', f.name, label);
    ratioRow(goal, name, c, find('flows', PLAIN, label), min, f.key, '÷ the plain request sent the same way');
    const note = rows.at(-1);
    if (note && note.verdict !== 'not measured' && c) {
      const bound = generatorBound(c, find('flows', PLAIN, label));
      if (bound) note.note += `; ${bound}`;
    }
  };
  for (const f of FLOWS.filter((x) => x.key !== FEDERATION && x.key !== STATUS_OFF))
    flowRow(`every new flow ≥ ${fixed(FLOW_GOAL)} × the plain request`, f, FLOW_GOAL);

  // Status lists on against off: issue 30's flow row where the build has it (the plain request carries the
  // claim, the `status-off` flow does not), else the suite's own pair of servers.
  const offFlow = FLOWS.find((x) => x.key === STATUS_OFF);
  const flowPair = offFlow && [find('flows', PLAIN, offFlow.alg), find('flows', offFlow.name, offFlow.alg)];
  const [on, off] =
    flowPair?.[1] && !flowPair[1].failed
      ? flowPair
      : [
          find('status', 'Tessera (SQLite), status lists on', 'on'),
          find('status', 'Tessera (SQLite), status lists off', 'off'),
        ];
  const cost = 1 - rate(on) / rate(off);
  rows.push({
    goal: `status lists cost ≤ ${fixed((1 - STATUS_LIST_GOAL) * 100, 0)} % on issuance`,
    case: 'JWT issuance, on ÷ off',
    measured: Number.isFinite(cost) ? `${fixed(cost * 100, 1)} %` : '–',
    verdict: verdict(cost, (n) => n <= 1 - STATUS_LIST_GOAL),
    note: Number.isFinite(cost)
      ? `on ${fixed(rate(on) / rate(off))} × off; CPU per request on ${fixed(median(on?.cpuUsPerRequest ?? []), 0)} µs, off ${fixed(median(off?.cpuUsPerRequest ?? []), 0)} µs`
      : why(offFlow ? STATUS_OFF : 'status-issuance', on?.failed ? on : off),
  });
  const rv = r.revocation;
  rows.push({
    goal: `revocation reaches a subscribed verifier: p99 ≤ ${fixed(REVOCATION_P99_GOAL_MS / 1000, 0)} s`,
    case: rv
      ? `${rv.count.toLocaleString('en-US')} revocations, @tessera/verify on the events stream`
      : 'revocation to verifier',
    measured: rv ? `p99 ${fixed(rv.p99_ms)} ms` : '–',
    verdict: verdict(rv?.p99_ms ?? Number.NaN, (n) => n <= REVOCATION_P99_GOAL_MS),
    note: rv ? `p50 ${fixed(rv.p50_ms)} ms, max ${fixed(rv.max_ms)} ms` : why('status'),
  });
  for (const f of FLOWS.filter((x) => x.key === FEDERATION))
    flowRow(`trusted-issuer authentication ≥ ${fixed(FLOW_GOAL)} × client_secret_basic`, f, FLOW_GOAL);
  const federation = r.cases.filter((c) => c.group === 'federation');
  const most = federation.at(-1);
  ratioRow(
    `${most && federation.length > 1 ? most.label : '100,000 federated clients'} ≥ ${fixed(FEDERATION_GROWTH_GOAL)} × one`,
    'federated_jwt, a random client per request',
    federation.length > 1 ? most : undefined,
    federation[0],
    FEDERATION_GROWTH_GOAL,
    FEDERATION,
  );
  return rows;
}

/**
 * Where a row's load generator, not the server, set its pace: its core busier than the server's in either
 * case of the ratio (bench/lib/tls-load.ts on a new TLS connection per request does a handshake too).
 */
export function generatorBound(c: CaseResult, plain: CaseResult | undefined): string | undefined {
  const busy = (x: CaseResult | undefined) => {
    const r = rate(x);
    return {
      server: (median(x?.cpuUsPerRequest ?? []) * r) / 1e6,
      load: (median(x?.loadUsPerRequest ?? []) * r) / 1e6,
    };
  };
  const a = busy(c);
  const b = busy(plain);
  if (!(a.load > a.server || b.load > b.server)) return undefined;
  const cpuRatio = median(plain?.cpuUsPerRequest ?? []) / median(c.cpuUsPerRequest);
  return `the load generator's core was the busier (${fixed(a.load * 100, 0)} % vs the server's ${fixed(a.server * 100, 0)} %); by the server's CPU per request, ${fixed(cpuRatio)} × the plain request`;
}

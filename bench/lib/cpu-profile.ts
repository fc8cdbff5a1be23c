import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`) and sums self time: per
 * function, and per part of the stack (Tessera's code, each npm package,
 * node's internals, GC). Shares are of the samples where the process was
 * not idle.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface ProfileSummary {
  file: string;
  samples: number;
  idlePct: number;
  functions: { name: string; where: string; pct: number }[];
  parts: { part: string; pct: number }[];
}

function partOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native/builtin)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) {
    // node:internal/crypto/sig → node: crypto; node:_http_server → node: http
    const module = url
      .slice(5)
      .replace(/^internal\//, '')
      .split('/')[0] as string;
    return `node: ${module.replace(/^_/, '').replace(/_.*$/, '')}`;
  }
  if (url.includes('/packages/server/')) return 'tessera (packages/server)';
  if (url.includes('/bench/')) return 'benchmark reference code';
  return url;
}

function shortUrl(url: string, line: number): string {
  if (!url) return '';
  const trimmed = url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/packages\/server\//, 'server/')
    .replace(/^.*\/bench\//, 'bench/');
  return `${trimmed}:${line + 1}`;
}

/**
 * Only the busiest `windowSeconds` of samples count: the measured run at
 * saturation; start-up (module loading, key generation) and shutdown stay out.
 */
export function summariseProfile(file: string, windowSeconds: number, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
    endTime: number;
    startTime: number;
  };
  // The window is the busiest `windowSeconds` of the profile (two pointers over the sample times).
  const idleIds = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const times: number[] = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    times.push(t);
  }
  const isBusy = (i: number) => (idleIds.has(profile.samples[i] as number) ? 0 : 1);
  let best = 0;
  let from = profile.startTime;
  let count = 0;
  for (let lo = 0, hi = 0; hi < times.length; hi++) {
    count += isBusy(hi);
    while ((times[hi] as number) - (times[lo] as number) > windowSeconds * 1e6) count -= isBusy(lo++);
    if (count > best) {
      best = count;
      from = times[lo] as number;
    }
  }
  const to = from + windowSeconds * 1e6;
  const hitsById = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const at = times[i] as number;
    if (at < from || at > to) continue;
    const id = profile.samples[i] as number;
    hitsById.set(id, (hitsById.get(id) ?? 0) + 1);
  }
  const byFunction = new Map<string, { name: string; where: string; hits: number }>();
  const byPart = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const n of profile.nodes) {
    const hits = hitsById.get(n.id) ?? 0;
    if (hits === 0) continue;
    total += hits;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') {
      idle += hits;
      continue;
    }
    const name = functionName || '(anonymous)';
    const where = shortUrl(url, lineNumber);
    const key = `${name}@${where}`;
    const entry = byFunction.get(key) ?? { name, where, hits: 0 };
    entry.hits += hits;
    byFunction.set(key, entry);
    const part = partOf(url, name);
    byPart.set(part, (byPart.get(part) ?? 0) + hits);
  }
  const busy = Math.max(1, total - idle);
  return {
    file,
    samples: total,
    idlePct: (100 * idle) / Math.max(1, total),
    functions: [...byFunction.values()]
      .sort((a, b) => b.hits - a.hits)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, pct: (100 * f.hits) / busy })),
    parts: [...byPart.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([part, hits]) => ({ part, pct: (100 * hits) / busy })),
  };
}

/** The newest .cpuprofile in `dir`. */
export function latestProfile(dir: string): string | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  return files.length ? join(dir, files.sort().at(-1) as string) : undefined;
}

/**
 * A paced, open-loop load generator (what wrk2 does, which wrk cannot): it
 * sends requests at a constant rate whatever the server's latency, and
 * measures each latency from the moment the request was *due*, not sent, so
 * a stalled server cannot hide its queue (no coordinated omission).
 * Requests go over a pool of keep-alive connections; when all are busy,
 * requests wait for one and that wait counts as latency.
 *
 * Run as a child process (bench/run.ts pins it to core 1); configured by the
 * PACED_CONFIG environment variable (JSON of PacedConfig), prints one line
 * `PACED {…}` with the PacedResult.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

export interface PacedConfig {
  url: string;
  /** Requests per second. */
  rate: number;
  /** Measured seconds, after `warmupSeconds` that are sent but not counted. */
  seconds: number;
  warmupSeconds: number;
  connections: number;
  body: string;
  /** One Authorization value, or a file with one per line (picked at random). */
  auth?: string;
  authFile?: string;
}

export interface PacedResult {
  target_rate: number;
  achieved_rate: number;
  ok: number;
  bad: number;
  errors: number;
  p50_ms: number;
  p99_ms: number;
  p999_ms: number;
  max_ms: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function run(c: PacedConfig): Promise<PacedResult> {
  const auths = c.authFile ? readFileSync(c.authFile, 'utf8').split('\n').filter(Boolean) : [c.auth ?? ''];
  const url = new URL(c.url);
  const agent = new Agent({ keepAlive: true, maxSockets: c.connections, maxFreeSockets: c.connections });
  const body = Buffer.from(c.body);
  const total = Math.round(c.rate * (c.seconds + c.warmupSeconds));
  const warmup = Math.round(c.rate * c.warmupSeconds);
  const latencies = new Float64Array(total - warmup);
  let counted = 0;
  let ok = 0;
  let bad = 0;
  let errors = 0;
  let done = 0;
  let sent = 0;

  const start = performance.now();
  const finished = new Promise<void>((resolve) => {
    const complete = (i: number, due: number, good: boolean | undefined) => {
      if (i >= warmup) {
        latencies[counted++] = performance.now() - due;
        if (good === undefined) errors++;
        else if (good) ok++;
        else bad++;
      }
      if (++done === total) resolve();
    };
    const send = (i: number) => {
      const due = start + (i * 1000) / c.rate;
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': body.length,
            authorization: auths[Math.floor(Math.random() * auths.length)],
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () =>
            complete(i, due, res.statusCode === 200 && Buffer.concat(chunks).includes('"access_token"')),
          );
          res.on('error', () => complete(i, due, undefined));
        },
      );
      req.on('error', () => complete(i, due, undefined));
      req.end(body);
    };
    // Every millisecond, send whatever has fallen due; the loop ends with the schedule.
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * c.rate) / 1000) + 1);
      while (sent < due) send(sent++);
      if (sent >= total) clearInterval(tick);
    }, 1);
  });
  // Bounded: the schedule plus 30 s for the last answers.
  const deadline = new Promise<void>((resolve) =>
    setTimeout(resolve, (c.seconds + c.warmupSeconds + 30) * 1000).unref(),
  );
  await Promise.race([finished, deadline]);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  errors += total - done;
  const sorted = latencies.subarray(0, counted).sort();
  return {
    target_rate: c.rate,
    achieved_rate: (done - Math.min(done, warmup)) / Math.max(elapsed - c.warmupSeconds, 1e-9),
    ok,
    bad,
    errors,
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    p999_ms: percentile(sorted, 99.9),
    max_ms: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}

if (process.env.PACED_CONFIG) {
  const result = await run(JSON.parse(process.env.PACED_CONFIG) as PacedConfig);
  process.stdout.write(`PACED ${JSON.stringify(result)}\n`);
  process.exit(0);
}

/**
 * A paced, open-loop load generator (what wrk2 does, which wrk cannot): it
 * sends requests at a constant rate whatever the server's latency, and
 * measures each latency from the moment the request was *due*, not sent, so
 * a stalled server cannot hide its queue (no coordinated omission).
 * Requests go over a pool of keep-alive connections; when all are busy,
 * requests wait for one and that wait counts as latency.
 *
 * Its own lateness counts too, so it is built to have little: raw sockets
 * with the request bytes made once and a minimal response parser (node:http
 * cost ~100 µs per request here and put a ~1 ms floor under every p50), and a
 * scheduler that checks the clock on every turn of the event loop, sleeping
 * 0.1 ms at a time in between, instead of a 1 ms timer. `lateness_p99_ms`
 * reports how late it sent, so a run where the generator itself fell behind
 * can be told apart.
 *
 * Run as a child process; configured by the PACED_CONFIG environment
 * variable (JSON of PacedConfig), prints one line `PACED {…}` with the
 * PacedResult.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

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
  /** How late the generator itself sent (p99, ms): well under p99_ms, or the run measured the generator. */
  lateness_p99_ms: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const CRLF2 = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

/** One keep-alive connection, carrying one request at a time. */
interface Conn {
  socket: Socket;
  /** Bytes received and not yet parsed. */
  pending: Buffer;
  /** The request in flight (its index), or -1. */
  current: number;
}

async function run(c: PacedConfig): Promise<PacedResult> {
  const auths = c.authFile ? readFileSync(c.authFile, 'utf8').split('\n').filter(Boolean) : [c.auth ?? ''];
  const url = new URL(c.url);
  const port = Number(url.port || 80);
  const requests = auths.map((auth) =>
    Buffer.from(
      `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\n' +
        `Content-Length: ${Buffer.byteLength(c.body)}\r\nAuthorization: ${auth}\r\n\r\n${c.body}`,
    ),
  );
  const total = Math.round(c.rate * (c.seconds + c.warmupSeconds));
  const warmup = Math.round(c.rate * c.warmupSeconds);
  const latencies = new Float64Array(total - warmup);
  const lateness = new Float64Array(total - warmup);
  const dueAt = (i: number) => start + (i * 1000) / c.rate;
  let start = 0;
  let counted = 0;
  let ok = 0;
  let bad = 0;
  let errors = 0;
  let done = 0;
  let scheduled = 0;
  let stopped = false;
  // Due requests waiting for a free connection (a queue: head index into it).
  const waiting: number[] = [];
  let waitingHead = 0;
  // Free connections, first in first out, so none idles into the server's keep-alive timeout.
  const free: Conn[] = [];
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    resolveFinished = resolve;
  });

  const complete = (i: number, good: boolean | undefined) => {
    if (i >= warmup) {
      latencies[counted++] = performance.now() - dueAt(i);
      if (good === undefined) errors++;
      else if (good) ok++;
      else bad++;
    }
    if (++done === total) resolveFinished();
  };
  const send = (conn: Conn, i: number) => {
    conn.current = i;
    conn.socket.write(requests[Math.floor(Math.random() * requests.length)] as Buffer);
  };
  const release = (conn: Conn) => {
    if (waitingHead < waiting.length) send(conn, waiting[waitingHead++] as number);
    else free.push(conn);
  };
  const onData = (conn: Conn, chunk: Buffer) => {
    conn.pending = conn.pending.length ? Buffer.concat([conn.pending, chunk]) : chunk;
    for (;;) {
      const headerEnd = conn.pending.indexOf(CRLF2);
      if (headerEnd < 0) return;
      const head = conn.pending.toString('latin1', 0, headerEnd);
      const length = CONTENT_LENGTH.exec(head);
      if (!length) throw new Error(`a response without Content-Length, which this generator does not parse:\n${head}`);
      const end = headerEnd + 4 + Number(length[1]);
      if (conn.pending.length < end) return;
      const good =
        head.startsWith('HTTP/1.1 200') && conn.pending.subarray(headerEnd + 4, end).includes('"access_token"');
      conn.pending = conn.pending.subarray(end);
      const i = conn.current;
      conn.current = -1;
      complete(i, good);
      release(conn);
    }
  };
  const open = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const conn: Conn = {
        socket: connect({ host: url.hostname, port, noDelay: true }),
        pending: Buffer.alloc(0),
        current: -1,
      };
      conn.socket.once('connect', () => {
        release(conn);
        resolve();
      });
      conn.socket.on('data', (d: Buffer) => onData(conn, d));
      conn.socket.on('error', reject);
      conn.socket.on('close', () => {
        const k = free.indexOf(conn);
        if (k >= 0) free.splice(k, 1);
        if (conn.current >= 0) complete(conn.current, undefined);
        conn.current = -1;
        // The server closed it: open another until the run is over.
        if (!stopped) open().catch(() => {});
      });
    });
  await Promise.all(Array.from({ length: c.connections }, open));

  start = performance.now();
  // Checks the clock on every turn of the loop (setImmediate lets I/O in
  // between): a 1 ms timer would make every request up to 1 ms late.
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const tick = () => {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - start) * c.rate) / 1000) + 1);
    for (; scheduled < due; scheduled++) {
      if (scheduled >= warmup) lateness[scheduled - warmup] = now - dueAt(scheduled);
      const conn = free.shift();
      if (conn) send(conn, scheduled);
      else waiting.push(scheduled);
    }
    if (scheduled >= total) return;
    // Until the next request is due, sleep rather than spin, 0.1 ms at a
    // time so answers are still read promptly: a spinning generator starved
    // the PostgreSQL and Redis processes that share its core.
    const wait = dueAt(scheduled) - performance.now();
    if (wait > 0.02) Atomics.wait(pause, 0, 0, Math.min(wait, 0.1));
    setImmediate(tick);
  };
  tick();
  // Bounded: the schedule plus 30 s for the last answers.
  const deadline = new Promise<void>((resolve) =>
    setTimeout(resolve, (c.seconds + c.warmupSeconds + 30) * 1000).unref(),
  );
  await Promise.race([finished, deadline]);
  const elapsed = (performance.now() - start) / 1000;
  stopped = true;
  for (const conn of free) conn.socket.destroy();
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
    lateness_p99_ms: percentile(lateness.sort(), 99),
  };
}

if (process.env.PACED_CONFIG) {
  const result = await run(JSON.parse(process.env.PACED_CONFIG) as PacedConfig);
  process.stdout.write(`PACED ${JSON.stringify(result)}\n`);
  process.exit(0);
}

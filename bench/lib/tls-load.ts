/**
 * A closed-loop HTTPS load generator that can present a TLS client
 * certificate, which wrk cannot (its TLS context has no certificate option):
 * what the mutual TLS rows of the flows table and their plain baselines are
 * measured with, so both sides of each ratio see the same generator.
 *
 * `connections` lanes each carry one request at a time, as wrk's
 * connections do. With `newConnection` every request opens a new TLS
 * connection (a full handshake: no session is offered for resumption, which
 * would skip the certificate), sends `Connection: close` and closes it once
 * the answer is read; the latency then includes the handshake. Without it
 * the connections are kept alive. Raw TLS sockets, the request bytes made
 * once and a minimal response parser keep the generator's own cost low; it
 * does not verify the server's certificate (nor does wrk), since that would
 * be the generator's cost, not the server's. Only `200` answers containing
 * `expect` count, as with wrk.
 *
 * Run as a child process; configured by TLS_LOAD_CONFIG (JSON of
 * TlsLoadConfig), prints one line `BENCH {…}`, the SaturationResult wrk's
 * script prints.
 */
import { readFileSync } from 'node:fs';
import { connect, createSecureContext, type TLSSocket } from 'node:tls';

export interface TlsLoadConfig {
  /** `https://host:port/path` */
  url: string;
  seconds: number;
  connections: number;
  body: string;
  /** The Authorization header, if any. */
  auth?: string;
  /** PEM files of the client certificate and its key, presented on every connection. */
  cert?: string;
  key?: string;
  /** A new TLS connection per request (full handshake), or kept-alive ones. */
  newConnection: boolean;
  /** What a correct answer's body contains. */
  expect: string;
}

const CRLF2 = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function run(c: TlsLoadConfig): Promise<Record<string, number>> {
  const url = new URL(c.url);
  const port = Number(url.port || 443);
  const request = Buffer.from(
    `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n` +
      'Content-Type: application/x-www-form-urlencoded\r\n' +
      `Content-Length: ${Buffer.byteLength(c.body)}\r\n` +
      (c.auth ? `Authorization: ${c.auth}\r\n` : '') +
      (c.newConnection ? 'Connection: close\r\n' : '') +
      `\r\n${c.body}`,
  );
  // One context for every connection: given cert and key, tls.connect would build (and parse the key into) a
  // new one per connection, which cost the generator more than the handshake itself.
  const secureContext = createSecureContext(
    c.cert && c.key ? { cert: readFileSync(c.cert), key: readFileSync(c.key) } : {},
  );
  const tlsOptions = { host: url.hostname, port, rejectUnauthorized: false, secureContext };
  const latencies: number[] = [];
  let ok = 0;
  let bad = 0;
  let errors = 0;
  let stopped = false;
  const sockets = new Set<TLSSocket>();

  interface Lane {
    socket: TLSSocket;
    /** Bytes received and not yet parsed. */
    pending: Buffer;
    /** When the request in flight started: its write, or with `newConnection` the connect. */
    started: number;
    inFlight: boolean;
    /** The handshake completed. */
    connected: boolean;
  }
  const send = (lane: Lane) => {
    if (!c.newConnection) lane.started = performance.now();
    lane.inFlight = true;
    lane.socket.write(request);
  };
  const onData = (lane: Lane, chunk: Buffer) => {
    lane.pending = lane.pending.length ? Buffer.concat([lane.pending, chunk]) : chunk;
    const headerEnd = lane.pending.indexOf(CRLF2);
    if (headerEnd < 0 || stopped) return;
    const head = lane.pending.toString('latin1', 0, headerEnd);
    const length = CONTENT_LENGTH.exec(head);
    if (!length) throw new Error(`a response without Content-Length, which this generator does not parse:\n${head}`);
    const end = headerEnd + 4 + Number(length[1]);
    if (lane.pending.length < end) return;
    latencies.push(performance.now() - lane.started);
    if (head.startsWith('HTTP/1.1 200') && lane.pending.subarray(headerEnd + 4, end).includes(c.expect)) ok++;
    else bad++;
    lane.pending = lane.pending.subarray(end);
    lane.inFlight = false;
    // A new connection per request: close this one (its close opens the next); else the next request on it.
    if (c.newConnection) lane.socket.destroy();
    else send(lane);
  };
  /** A connection and the requests on it; when it closes, for whatever reason, another takes its place. */
  const open = () => {
    const lane: Lane = {
      socket: connect(tlsOptions),
      pending: Buffer.alloc(0),
      started: performance.now(),
      inFlight: false,
      connected: false,
    };
    const s = lane.socket;
    sockets.add(s);
    s.setNoDelay(true);
    s.once('secureConnect', () => {
      lane.connected = true;
      send(lane);
    });
    s.on('data', (chunk: Buffer) => onData(lane, chunk));
    s.on('error', () => {});
    s.once('close', () => {
      sockets.delete(s);
      if (stopped) return;
      // Closed before the handshake or with a request unanswered (refused, reset): an error, and the lane goes on.
      if (!lane.connected || lane.inFlight || lane.pending.length > 0) {
        errors++;
        // Not at once: a refusing server would make this a busy loop.
        setTimeout(open, 10);
      } else open();
    });
  };

  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < c.connections; i++) open();
  await new Promise((resolve) => setTimeout(resolve, c.seconds * 1000));
  stopped = true;
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  for (const s of sockets) s.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return {
    ok,
    bad,
    seconds: elapsed,
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    errors,
    // The generator's own CPU time over the run, without its start (tsx alone costs more than a short run).
    load_cpu_us: cpu.user + cpu.system,
  };
}

if (process.env.TLS_LOAD_CONFIG) {
  const result = await run(JSON.parse(process.env.TLS_LOAD_CONFIG) as TlsLoadConfig);
  process.stdout.write(`BENCH ${JSON.stringify(result)}\n`);
  process.exit(0);
}

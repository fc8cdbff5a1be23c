/**
 * What mutual TLS costs per new connection, against the server process:
 *
 *   npm run build && node --import tsx bench/mtls-handshake.bench.ts
 *
 * Tessera serves TLS with TESSERA_TLS_CLIENT_CA (certificates made by
 * openssl, ECDSA P-256 throughout). One client, one request at a time, so
 * each figure is the wall time of one token request: with a new TLS
 * connection per request (a full handshake each time) or over one kept-alive
 * connection (no handshake), each with and without a client certificate.
 * The handshake's cost is the difference between the two; what the
 * certificate adds to it, the difference of those differences. Each figure
 * is the median of several rounds after a warm-up; client and server share
 * the machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, SERVER_MAIN } from '../e2e/support/tessera-process.js';
import { CLIENT_DN, makeCertificates, type Pem } from '../packages/server/test/openssl-certificates.js';

const ROUNDS = 7;
const PER_ROUND = 200;
const certs = makeCertificates();
const port = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-mtls-'));
const adminKey = `bench-admin-${randomBytes(12).toString('hex')}`;
const server: ChildProcess = spawn(process.execPath, [SERVER_MAIN], {
  env: {
    PATH: process.env.PATH,
    TESSERA_PORT: String(port),
    TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
    TESSERA_ADMIN_KEY: adminKey,
    TESSERA_LOG_LEVEL: 'warn',
    TESSERA_SIGNING_ALG: 'ES256',
    TESSERA_TLS_CERT: certs.server.cert,
    TESSERA_TLS_KEY: certs.server.key,
    TESSERA_TLS_CLIENT_CA: certs.ca.cert,
  },
  stdio: 'ignore',
});

function call(
  method: string,
  path: string,
  body: string,
  headers: Record<string, string>,
  options: { cert?: Pem; agent: Agent | false },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port,
        method,
        path,
        ca: certs.ca.pem,
        agent: options.agent,
        ...(options.cert ? { cert: options.cert.pem, key: readFileSync(options.cert.key) } : {}),
        headers,
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function ready(): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      if ((await call('GET', '/healthz', '', {}, { agent: false })).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('tessera did not start');
}

async function register(metadata: object): Promise<{ client_id: string; client_secret?: string }> {
  const r = await call(
    'POST',
    '/admin/clients',
    JSON.stringify(metadata),
    {
      authorization: `Bearer ${adminKey}`,
      'content-type': 'application/json',
    },
    { agent: false },
  );
  if (r.status !== 201) throw new Error(r.text);
  return JSON.parse(r.text);
}

interface Case {
  name: string;
  cert?: Pem;
  form: string;
  headers: Record<string, string>;
  keepAlive: boolean;
}

/** Median µs per token request over ROUNDS rounds. */
async function measure(c: Case): Promise<number> {
  const agentOptions = { keepAlive: true, maxSockets: 1, ca: certs.ca.pem, servername: 'localhost' };
  const agent = c.keepAlive
    ? new Agent(c.cert ? { ...agentOptions, cert: c.cert.pem, key: readFileSync(c.cert.key) } : agentOptions)
    : false;
  const headers = { 'content-type': 'application/x-www-form-urlencoded', ...c.headers };
  const one = async () => {
    const r = await call('POST', '/oauth2/token', c.form, headers, { cert: c.cert, agent });
    if (r.status !== 200) throw new Error(`${c.name}: ${r.status} ${r.text}`);
  };
  for (let i = 0; i < PER_ROUND; i++) await one();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < PER_ROUND; i++) await one();
    rounds.push(Number(process.hrtime.bigint() - start) / 1000 / PER_ROUND);
  }
  if (agent) agent.destroy();
  rounds.sort((a, b) => a - b);
  return rounds[Math.floor(ROUNDS / 2)] as number;
}

try {
  await ready();
  const mtls = await register({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: CLIENT_DN });
  const secret = await register({});
  const basic = `Basic ${Buffer.from(`${secret.client_id}:${secret.client_secret}`).toString('base64')}`;
  const cases: Case[] = [
    {
      name: 'secret, no client certificate',
      form: 'grant_type=client_credentials',
      headers: { authorization: basic },
      keepAlive: false,
    },
    {
      name: 'tls_client_auth',
      cert: certs.client,
      form: `grant_type=client_credentials&client_id=${mtls.client_id}`,
      headers: {},
      keepAlive: false,
    },
  ];
  const results: string[] = [
    '| client authentication | new connection per request (µs) | kept-alive connection (µs) | handshake (µs) |',
    '| --- | --- | --- | --- |',
  ];
  const handshakes: number[] = [];
  for (const c of cases) {
    const fresh = await measure(c);
    const kept = await measure({ ...c, keepAlive: true });
    handshakes.push(fresh - kept);
    results.push(`| ${c.name} | ${fresh.toFixed(0)} | ${kept.toFixed(0)} | ${(fresh - kept).toFixed(0)} |`);
  }
  console.log(results.join('\n'));
  console.log(
    `\nA client certificate adds ${((handshakes[1] as number) - (handshakes[0] as number)).toFixed(0)} µs to each new connection's handshake (median of ${ROUNDS} rounds of ${PER_ROUND}).`,
  );
} finally {
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  certs.remove();
}

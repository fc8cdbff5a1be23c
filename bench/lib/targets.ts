import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import ts from 'typescript';
import { freePort, SERVER_MAIN } from '../../e2e/support/tessera-process.js';
import { spawnTracked, stopChild } from './children.js';
import { DpopProofs } from './dpop-proofs.js';
import type { Credentials } from './load.js';
import { processTree } from './proc.js';

/**
 * The systems under test, each started as its own process on 127.0.0.1:
 * Tessera (the built dist/main.js, as users run it), the lean reference and
 * oidc-provider. Each answers the same request: client_credentials,
 * client_secret_basic, scope "a b", a token for audience "calendar".
 */

export type Alg = 'RS256' | 'ES256' | 'EdDSA';
export type Format = 'jwt' | 'opaque';

export interface Target {
  tokenUrl: string;
  pid: number;
  creds: Credentials;
  output(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  alg: Alg;
  format: Format;
  /** taskset CPU list for the server; undefined leaves it unpinned. */
  cpus: string | undefined;
  /** Writes a V8 CPU profile into this directory on exit. */
  cpuProfDir?: string;
  /** Options for node itself, before the script. */
  nodeArgs?: string[];
  /** A command the server runs under, e.g. valgrind's (instructions.ts), where it starts and stops slower. */
  wrap?: { command: string[]; timeoutMs: number };
}

export interface TesseraOptions extends StartOptions {
  databaseUrl: string;
  redisUrl?: string;
  encryptionKey: string;
  logLevel: string;
  workers: number;
  /** Register the one benchmark client (default true). */
  registerClient?: boolean;
  /** More metadata for that client, e.g. `{ dpop_bound_access_tokens: true }`. */
  clientMetadata?: Record<string, unknown>;
  /** Send a fresh DPoP proof with every request (bench/lib/dpop-proofs.ts), written under this directory. */
  dpopDir?: string;
  /** Further TESSERA_* settings. */
  env?: Record<string, string>;
  /**
   * Serve HTTPS (TESSERA_TLS_CERT, TESSERA_TLS_KEY) and request client certificates issued by `clientCa`
   * (TESSERA_TLS_CLIENT_CA); `ca` is the PEM text the suite trusts for its own calls. The load then goes
   * through bench/lib/tls-load.ts, with a new connection per request or kept-alive ones.
   */
  tls?: { cert: string; key: string; clientCa: string; ca: string; newConnection: boolean };
  /** TESSERA_ISSUER at the address served (`http://127.0.0.1:<port>`), not the default `localhost`, for clients that follow it. */
  issuerAtAddress?: boolean;
  /** The server's main.js; default this checkout's build (bench/ab.ts passes another build's). */
  main?: string;
}

export interface TesseraTarget extends Target {
  baseUrl: string;
  adminKey: string;
  /** The CA the suite trusts for this server's HTTPS (TesseraOptions.tls), if it serves HTTPS. */
  ca?: string;
}

/** A call's answer: status and body text. */
export interface Answer {
  status: number;
  text: string;
}

/**
 * A call from the suite to a server: fetch over HTTP, node:https over HTTPS (trusting `ca`, presenting `cert`
 * if given), as fetch takes no per-call CA or client certificate.
 */
export async function call(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  tls: { ca?: string; cert?: { cert: string; key: string } } = {},
): Promise<Answer> {
  if (url.startsWith('http:')) {
    const r = await fetch(url, init);
    return { status: r.status, text: await r.text() };
  }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: init.method ?? 'GET',
        headers: init.headers,
        ca: tls.ca,
        agent: false,
        ...(tls.cert ? { cert: readFileSync(tls.cert.cert), key: readFileSync(tls.cert.key) } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${url}: no answer in 10 s`)));
    req.end(init.body);
  });
}

// Under results/, which the linter skips: generated code.
const BUILD_DIR = join(import.meta.dirname, '..', 'results', '.build');
export const BODY = 'grant_type=client_credentials&scope=a+b';

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

function launch(
  o: StartOptions,
  nodeArgs: string[],
  env: Record<string, string>,
  shownEnv: Record<string, string>,
): { child: ChildProcess; output: () => string } {
  const node = [...(o.wrap?.command ?? []), process.execPath, ...(o.nodeArgs ?? []), ...nodeArgs];
  const [command, full] = o.cpus ? ['taskset', ['-c', o.cpus, ...node]] : [node[0] as string, node.slice(1)];
  const child = spawnTracked(
    command,
    full as string[],
    { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    shownEnv,
  );
  let out = '';
  // Kept short: a server logging at info would otherwise fill memory here.
  const keep = (d: Buffer) => {
    if (out.length < 20_000) out += d;
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => out };
}

async function waitFor(
  what: string,
  child: ChildProcess,
  output: () => string,
  ready: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited with ${child.exitCode ?? child.signalCode}:\n${output().slice(-2000)}`);
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      await stopChild(child, 1000);
      throw new Error(`${what} did not start in ${timeoutMs / 1000} s:\n${output().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const profArgs = (dir: string | undefined) => (dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []);

export async function startTessera(o: TesseraOptions): Promise<TesseraTarget> {
  const port = await freePort();
  const adminKey = `bench-admin-${randomBytes(12).toString('hex')}`;
  const env: Record<string, string> = {
    TESSERA_PORT: String(port),
    TESSERA_HOST: '127.0.0.1',
    TESSERA_DATABASE_URL: o.databaseUrl,
    TESSERA_SIGNING_ALG: o.alg,
    TESSERA_LOG_LEVEL: o.logLevel,
    TESSERA_WORKERS: String(o.workers),
    ...(o.redisUrl ? { TESSERA_REDIS_URL: o.redisUrl } : {}),
    ...(o.tls
      ? { TESSERA_TLS_CERT: o.tls.cert, TESSERA_TLS_KEY: o.tls.key, TESSERA_TLS_CLIENT_CA: o.tls.clientCa }
      : {}),
    ...(o.issuerAtAddress ? { TESSERA_ISSUER: `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}` } : {}),
    ...o.env,
  };
  const { child, output } = launch(
    o,
    [...profArgs(o.cpuProfDir), o.main ?? SERVER_MAIN],
    { ...env, TESSERA_ADMIN_KEY: adminKey, TESSERA_ENCRYPTION_KEY: o.encryptionKey },
    env,
  );
  const baseUrl = `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const name = `tessera (${o.databaseUrl.split(':')[0]}, ${o.alg}, ${o.workers} worker(s))`;
  const ca = o.tls?.ca;
  await waitFor(
    name,
    child,
    output,
    async () => (await call(`${baseUrl}/healthz`, {}, { ca })).status === 200,
    o.wrap?.timeoutMs,
  );
  if (o.workers > 1) {
    // Ready when every worker is up, not just the first.
    await waitFor(name, child, output, async () => processTree(child.pid as number).length > o.workers);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const target: TesseraTarget = {
    tokenUrl: `${baseUrl}/oauth2/token`,
    baseUrl,
    adminKey,
    ca,
    pid: child.pid as number,
    creds: {},
    output,
    stop: () => stopChild(child, o.wrap?.timeoutMs ?? 10_000),
  };
  if (o.registerClient !== false) {
    try {
      const c = await registerClient(target, o.format, o.clientMetadata);
      target.creds = { auth: basic(c.client_id, c.client_secret) };
      if (o.tls) target.creds.tls = { newConnection: o.tls.newConnection };
      if (o.dpopDir) {
        // The proof names the token endpoint as discovery publishes it (under the issuer), not the address dialled.
        const meta = await call(`${baseUrl}/.well-known/oauth-authorization-server`, {}, { ca });
        const { token_endpoint: htu } = JSON.parse(meta.text) as { token_endpoint: string };
        target.creds.dpop = new DpopProofs(join(o.dpopDir, `dpop-${port}.txt`), htu);
      }
    } catch (err) {
      await target.stop();
      throw err;
    }
  }
  return target;
}

export async function registerClient(
  t: { baseUrl: string; adminKey: string; ca?: string },
  format: Format,
  metadata: Record<string, unknown> = {},
): Promise<{ client_id: string; client_secret: string }> {
  const r = await admin(t, 'POST', '/admin/clients', {
    scope: 'a b',
    audience: ['calendar'],
    access_token_format: format,
    ...metadata,
  });
  if (r.status !== 201) throw new Error(`client registration failed: ${r.status} ${r.text}`);
  return JSON.parse(r.text) as { client_id: string; client_secret: string };
}

/** An admin API call with a JSON body. */
export function admin(
  t: { baseUrl: string; adminKey: string; ca?: string },
  method: string,
  path: string,
  json?: unknown,
): Promise<Answer> {
  return call(
    `${t.baseUrl}${path}`,
    {
      method,
      headers: {
        authorization: `Bearer ${t.adminKey}`,
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    },
    { ca: t.ca },
  );
}

/** Strips the types from a reference server, so it runs on plain node like Tessera's dist (no loader in its RSS). */
function built(source: string): string {
  mkdirSync(BUILD_DIR, { recursive: true });
  const out = join(BUILD_DIR, `${source.split('/').at(-2)}.mjs`);
  const js = ts.transpileModule(readFileSync(source, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  writeFileSync(out, js);
  return out;
}

async function startReference(
  name: string,
  source: string,
  path: string,
  o: StartOptions,
  extraEnv: Record<string, string> = {},
): Promise<Target> {
  const port = await freePort();
  const clientId = 'bench-client';
  const secret = randomBytes(32).toString('base64url');
  const env = { PORT: String(port), BENCH_ALG: o.alg, BENCH_FORMAT: o.format, ...extraEnv };
  const { child, output } = launch(
    o,
    [...profArgs(o.cpuProfDir), built(source)],
    { ...env, BENCH_CLIENT_ID: clientId, BENCH_CLIENT_SECRET: secret },
    env,
  );
  await waitFor(name, child, output, async () => output().includes('READY'), o.wrap?.timeoutMs);
  return {
    tokenUrl: `http://127.0.0.1:${port}${path}`,
    pid: child.pid as number,
    creds: { auth: basic(clientId, secret) },
    output,
    stop: () => stopChild(child, o.wrap?.timeoutMs),
  };
}

export function startLean(o: StartOptions, sqlitePath: string): Promise<Target> {
  const source = join(import.meta.dirname, '..', 'lean-reference', 'server.ts');
  return startReference('lean reference', source, '/oauth2/token', o, { BENCH_SQLITE: sqlitePath });
}

export function startOidcProvider(o: StartOptions, introspection = false): Promise<Target> {
  const source = join(import.meta.dirname, '..', 'oidc-provider-reference', 'server.ts');
  return startReference('oidc-provider', source, '/token', o, introspection ? { BENCH_INTROSPECTION: '1' } : {});
}

/**
 * The same server, now measured at its introspection endpoint (`path` under
 * the token URL's origin): one token, got here first, introspected by the
 * client it was issued to, every answer `"active":true`.
 */
export async function atIntrospection(t: Target, path: string): Promise<Target> {
  const r = await fetch(t.tokenUrl, {
    method: 'POST',
    headers: { authorization: t.creds.auth ?? '', 'content-type': 'application/x-www-form-urlencoded' },
    body: BODY,
  });
  const { access_token: token } = (await r.json()) as { access_token?: string };
  if (!token) throw new Error(`no token to introspect from ${t.tokenUrl}: ${r.status}`);
  return {
    ...t,
    tokenUrl: new URL(path, t.tokenUrl).href,
    creds: { auth: t.creds.auth, body: `token=${encodeURIComponent(token)}`, expect: '"active":true' },
  };
}

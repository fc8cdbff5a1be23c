import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnTracked } from './children.js';
import type { DpopProofs } from './dpop-proofs.js';
import type { PacedConfig, PacedResult } from './paced-load.js';
import type { TlsLoadConfig } from './tls-load.js';

/**
 * The two ways load is offered: wrk at saturation (closed loop, N
 * connections, as fast as the server answers) and the paced open-loop
 * generator at a fixed rate. Both count only correct token responses.
 */

const LUA = join(import.meta.dirname, 'token.lua');
const PACED = join(import.meta.dirname, 'paced-load.ts');
const TLS_LOAD = join(import.meta.dirname, 'tls-load.ts');
export const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find(existsSync);

export interface Credentials {
  /** The Authorization header of one client… */
  auth?: string;
  /** …or a file with one per line, picked at random per request. */
  authFile?: string;
  /** DPoP proofs, a fresh file written before each run (wrk only). */
  dpop?: DpopProofs;
  /** The form body, where it is not the token request's (e.g. `token=…` for introspection)… */
  body?: string;
  /** …or a file with one per line, picked at random per request (wrk only). */
  bodyFile?: string;
  /** What a correct answer contains (default `"access_token"`; `"active":true` for introspection). */
  expect?: string;
  /**
   * HTTPS, sent by bench/lib/tls-load.ts instead of wrk (which cannot present a client certificate): a new
   * TLS connection per request or kept-alive ones, and the client certificate's PEM files, if any.
   */
  tls?: { newConnection: boolean; cert?: string; key?: string };
}

/** More proofs than the fastest DPoP case answers per second, so a run never runs out (it would fail if it did). */
const DPOP_PROOFS_PER_SECOND = 12_000;

export interface SaturationResult {
  ok: number;
  bad: number;
  seconds: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  /** The load generator's CPU time over the run, where it measures it itself (bench/lib/tls-load.ts). */
  load_cpu_us?: number;
}

/** Runs a child to completion, killed if it overruns `timeoutMs`; returns stdout. */
function runToEnd(
  command: string,
  args: string[],
  env: Record<string, string>,
  shownEnv: Record<string, string>,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(
      command,
      args,
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
      shownEnv,
    );
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} exited with ${code ?? signal}:\n${out}${err}`.slice(0, 2000)));
    });
  });
}

/** wrk (or, without it, autocannon) at saturation against `url`, from core `cpus`. */
export async function saturate(
  url: string,
  creds: Credentials,
  body: string,
  seconds: number,
  connections: number,
  cpus: string,
): Promise<SaturationResult> {
  if (creds.tls) return tlsSaturate(url, creds, body, seconds, connections, cpus);
  if (!WRK) {
    if (creds.dpop || creds.body || creds.bodyFile || creds.expect)
      throw new Error('this case needs wrk (apt-get install wrk)');
    return autocannonSaturate(url, creds, body, seconds, connections);
  }
  const env: Record<string, string> = { BENCH_BODY: creds.body ?? body };
  if (creds.expect) env.BENCH_EXPECT = creds.expect;
  if (creds.bodyFile) env.BENCH_BODY_FILE = creds.bodyFile;
  if (creds.authFile) env.BENCH_AUTH_FILE = creds.authFile;
  else env.BENCH_AUTH = creds.auth ?? '';
  const shown: Record<string, string> = creds.authFile
    ? { BENCH_AUTH_FILE: creds.authFile }
    : { BENCH_AUTH: creds.auth ? 'Basic …' : '' };
  if (creds.bodyFile) shown.BENCH_BODY_FILE = creds.bodyFile;
  if (creds.dpop) {
    creds.dpop.write(Math.ceil((seconds + 1) * DPOP_PROOFS_PER_SECOND));
    env.BENCH_DPOP_FILE = creds.dpop.file;
    shown.BENCH_DPOP_FILE = creds.dpop.file;
  }
  const out = await runToEnd(
    'taskset',
    ['-c', cpus, WRK, '-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '--latency', '-s', LUA, url],
    env,
    { ...shown, BENCH_BODY: creds.body ? `${creds.body.slice(0, 24)}…` : body },
    (seconds + 30) * 1000,
  );
  const line = out.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`wrk printed no result:\n${out}`);
  return JSON.parse(line.slice(6)) as SaturationResult;
}

/** HTTPS with bench/lib/tls-load.ts, a child process on core `cpus` as wrk is. */
async function tlsSaturate(
  url: string,
  creds: Credentials,
  body: string,
  seconds: number,
  connections: number,
  cpus: string,
): Promise<SaturationResult> {
  const tls = creds.tls as NonNullable<Credentials['tls']>;
  const config: TlsLoadConfig = {
    url,
    seconds,
    connections,
    body: creds.body ?? body,
    auth: creds.auth,
    cert: tls.cert,
    key: tls.key,
    newConnection: tls.newConnection,
    expect: creds.expect ?? '"access_token"',
  };
  const out = await runToEnd(
    'taskset',
    ['-c', cpus, process.execPath, '--import', 'tsx', TLS_LOAD],
    { TLS_LOAD_CONFIG: JSON.stringify(config) },
    { TLS_LOAD_CONFIG: JSON.stringify({ ...config, auth: config.auth ? 'Basic …' : undefined }) },
    (seconds + 30) * 1000,
  );
  const line = out.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`tls-load printed no result:\n${out}`);
  return JSON.parse(line.slice(6)) as SaturationResult;
}

/** The fallback when wrk is missing (`apt-get install wrk` for the real thing): autocannon in this process. */
async function autocannonSaturate(
  url: string,
  creds: Credentials,
  body: string,
  seconds: number,
  connections: number,
): Promise<SaturationResult> {
  const { default: autocannon } = await import('autocannon');
  const auths = creds.authFile ? readFileSync(creds.authFile, 'utf8').split('\n').filter(Boolean) : [creds.auth ?? ''];
  let ok = 0;
  let bad = 0;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        body,
        setupRequest: (req) => ({
          ...req,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: auths[Math.floor(Math.random() * auths.length)] as string,
          },
        }),
        onResponse: (status, resBody) => {
          if (status === 200 && resBody.includes('"access_token"')) ok++;
          else bad++;
        },
      },
    ],
  });
  return {
    ok,
    bad,
    seconds: result.duration,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors + result.timeouts,
  };
}

/** The paced open-loop generator at `config.rate` requests per second, from core `cpus`. */
export async function paced(config: PacedConfig, cpus: string): Promise<PacedResult> {
  const out = await runToEnd(
    'taskset',
    ['-c', cpus, process.execPath, '--import', 'tsx', PACED],
    { PACED_CONFIG: JSON.stringify(config) },
    {
      PACED_CONFIG: JSON.stringify({ ...config, auth: config.auth ? 'Basic …' : undefined }),
    },
    (config.seconds + config.warmupSeconds + 60) * 1000,
  );
  const line = out.split('\n').find((l) => l.startsWith('PACED '));
  if (!line) throw new Error(`paced generator printed no result:\n${out}`);
  return JSON.parse(line.slice(6)) as PacedResult;
}

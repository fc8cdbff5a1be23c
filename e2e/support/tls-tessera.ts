import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pem, TestCertificates } from '../../packages/server/test/openssl-certificates.js';
import { freePort, SERVER_MAIN, waitUntilServing } from './tessera-process.js';

/**
 * The real server as a process serving HTTPS with TESSERA_TLS_CLIENT_CA
 * (certificates made by openssl: packages/server/test/openssl-certificates.ts),
 * and a Node `https` client for it.
 */

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON asserted on field by field
type Json = any;

export /** One HTTPS call to the server, trusting the test CA, presenting `cert` if given: a Node `https` client. */
function https(
  port: number,
  ca: string,
  method: string,
  path: string,
  body?: { form?: Record<string, string>; json?: unknown },
  options: { cert?: Pem; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Json }> {
  const payload = body?.form ? new URLSearchParams(body.form).toString() : body?.json ? JSON.stringify(body.json) : '';
  const type = body?.form ? 'application/x-www-form-urlencoded' : 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port,
        method,
        path,
        ca,
        agent: false,
        ...(options.cert ? { cert: options.cert.pem, key: readFileSync(options.cert.key) } : {}),
        headers: { ...(payload ? { 'content-type': type } : {}), ...options.headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The real server as a process, serving HTTPS with TESSERA_TLS_CLIENT_CA. */
export async function startTlsTessera(certs: TestCertificates) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-mtls-e2e-'));
  const adminKey = `test-admin-${randomBytes(12).toString('hex')}`;
  const child: ChildProcess = spawn(process.execPath, [SERVER_MAIN], {
    env: {
      PATH: process.env.PATH,
      TESSERA_PORT: String(port),
      TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
      TESSERA_ADMIN_KEY: adminKey,
      TESSERA_SHUTDOWN_DRAIN_MS: '0',
      TESSERA_TLS_CERT: certs.server.cert,
      TESSERA_TLS_KEY: certs.server.key,
      TESSERA_TLS_CLIENT_CA: certs.ca.cert,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitUntilServing(
    child,
    () => out,
    async () => (await https(port, certs.ca.pem, 'GET', '/healthz')).status === 200,
  );
  return {
    port,
    admin: (method: string, path: string, json?: unknown) =>
      https(port, certs.ca.pem, method, path, json === undefined ? undefined : { json }, {
        headers: { authorization: `Bearer ${adminKey}` },
      }),
    token: (form: Record<string, string>, cert?: Pem) =>
      https(
        port,
        certs.ca.pem,
        'POST',
        '/oauth2/token',
        { form: { grant_type: 'client_credentials', ...form } },
        { cert },
      ),
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

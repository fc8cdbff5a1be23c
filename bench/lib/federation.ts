import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { admin, BODY, call, type TesseraTarget } from './targets.js';

/**
 * Workloads without secrets (CONTRACT part two, trusted issuers): a platform
 * issuer in the suite's process (its discovery document and JWKS on
 * 127.0.0.1, as a Kubernetes API server serves them), its signed identities,
 * and the federated_jwt clients that accept them. The platform token is sent
 * as `client_assertion` with no client_id: Tessera finds the one client that
 * accepts the identity. Platform tokens are reused until they expire, so
 * each client's one token serves the whole run.
 */

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Under the default max_token_lifetime (3600 s), and longer than any run. */
const LIFETIME_SECONDS = 3000;

export interface Platform {
  issuer: string;
  /** A platform token for `subject`, with Tessera's issuer as `aud`. */
  token(subject: string, audience: string): string;
  close(): Promise<void>;
}

let running: Promise<Platform> | undefined;

/** The run's platform issuer, started on first use (ES256 keys, as Kubernetes signs with ES256 or RS256). */
export function platform(): Promise<Platform> {
  running ??= startPlatform();
  return running;
}

export async function closePlatform(): Promise<void> {
  const p = running;
  running = undefined;
  await (await p)?.close();
}

async function startPlatform(): Promise<Platform> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = 'bench-platform';
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] });
  let issuer = '';
  const server: Server = createServer((req, res) => {
    const body =
      req.url === '/jwks'
        ? jwks
        : req.url === '/.well-known/openid-configuration'
          ? JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` })
          : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(body ?? '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    token: (subject, audience) => signJwt(privateKey, kid, issuer, subject, audience),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function signJwt(key: KeyObject, kid: string, iss: string, sub: string, aud: string): string {
  const iat = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'ES256', typ: 'JWT', kid })}.${b64({ iss, sub, aud, iat, nbf: iat, exp: iat + LIFETIME_SECONDS })}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** Registers the platform as a trusted issuer of `t`; returns Tessera's issuer, the `aud` its tokens carry. */
export async function trustPlatform(t: TesseraTarget, p: Platform): Promise<string> {
  const r = await admin(t, 'POST', '/admin/trusted-issuers', { issuer: p.issuer, jwks_uri: `${p.issuer}/jwks` });
  if (r.status !== 201) throw new Error(`trusted issuer registration failed: ${r.status} ${r.text.slice(0, 300)}`);
  const meta = await call(`${t.baseUrl}/.well-known/oauth-authorization-server`, {}, { ca: t.ca });
  return (JSON.parse(meta.text) as { issuer: string }).issuer;
}

export const subjectOf = (n: number) => `system:serviceaccount:bench:caller-${n}`;

/** The token request of federated client `n`: its platform token as the client assertion, no client_id. */
export function federatedBody(p: Platform, audience: string, n: number): string {
  return `${BODY}&client_assertion_type=${encodeURIComponent(ASSERTION_TYPE)}&client_assertion=${p.token(subjectOf(n), audience)}`;
}

/** Registers `count` federated_jwt clients, client n accepting platform subject n, `concurrency` at a time. */
export async function registerFederatedClients(
  t: TesseraTarget,
  p: Platform,
  count: number,
  timeLimitMs: number,
  concurrency = 32,
): Promise<{ seconds: number }> {
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      if (performance.now() - start > timeLimitMs)
        throw new Error(`registering ${count} federated clients took over ${timeLimitMs} ms`);
      const n = next++;
      const r = await admin(t, 'POST', '/admin/clients', {
        scope: 'a b',
        audience: ['calendar'],
        token_endpoint_auth_method: 'federated_jwt',
        federated_identities: [{ issuer: p.issuer, subject: subjectOf(n) }],
      });
      if (r.status !== 201)
        throw new Error(`federated client registration failed: ${r.status} ${r.text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { seconds: (performance.now() - start) / 1000 };
}

/** One token request as federated client 0, to prove the setup before a run measures it. */
export async function checkFederated(t: TesseraTarget, body: string): Promise<void> {
  const r = await call(
    t.tokenUrl,
    { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body },
    { ca: t.ca },
  );
  if (r.status !== 200 || !r.text.includes('"access_token"'))
    throw new Error(`no token for a federated client from ${t.tokenUrl}: ${r.status} ${r.text.slice(0, 300)}`);
}

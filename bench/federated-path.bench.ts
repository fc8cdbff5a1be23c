/**
 * The token endpoint's steps without HTTP (core/token-endpoint.ts), in one
 * process, taking turns: client_secret_basic against federated_jwt with a
 * reused platform token (one federated client, then 100,000), all ES256.
 * What the trusted-issuer path itself costs, apart from the HTTP stack the
 * timed suite (npm run bench -- --only federated) includes and the shared
 * machine's drift. Run: node --import tsx bench/federated-path.bench.ts
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseForm } from '../packages/server/src/core/params.js';
import { handleTokenRequest } from '../packages/server/src/core/token-endpoint.js';
import type { TokenRequest } from '../packages/server/src/core/token-request.js';
import { createLogger } from '../packages/server/src/logging/logger.js';
import { createTessera, loadConfig, type Tessera } from '../packages/server/src/server.js';
import { federatedDatabase, federatedMetadata, PLATFORM_ISSUER, platformToken } from './lib/federated.js';

const ISSUER = 'http://tessera.bench';
const dir = mkdtempSync(join(tmpdir(), 'tessera-federated-path-'));

async function server(databaseUrl: string): Promise<Tessera> {
  const config = loadConfig({
    TESSERA_DATABASE_URL: databaseUrl,
    TESSERA_ADMIN_KEY: 'bench-admin-key-0123456789',
    TESSERA_ISSUER: ISSUER,
    TESSERA_SIGNING_ALG: 'ES256',
    TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  });
  return createTessera(config, { logger: createLogger('warn') });
}

async function admin(t: Tessera, url: string, body: unknown): Promise<Record<string, string>> {
  const r = await t.app.inject({
    method: 'POST',
    url,
    headers: { authorization: 'Bearer bench-admin-key-0123456789' },
    payload: body as object,
  });
  if (r.statusCode !== 201) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
  return r.json();
}

function request(body: string, authorization?: string): TokenRequest {
  return {
    params: parseForm(body),
    authorization,
    method: 'POST',
    url: `${ISSUER}/oauth2/token`,
    dpop: undefined,
    clientCertificate: undefined,
    clientCertificateChain: undefined,
  } as TokenRequest;
}

const BODY = 'grant_type=client_credentials&scope=a+b';
const one = await server(`sqlite:${join(dir, 'one.db')}`);
const basicClient = await admin(one, '/admin/clients', { scope: 'a b', audience: ['calendar'] });
await admin(one, '/admin/clients', { scope: 'a b', audience: ['calendar'], ...federatedMetadata(0) });
const many = await server(federatedDatabase(dir, 100_000));
const cases: [string, Tessera, TokenRequest][] = [
  [
    'client_secret_basic',
    one,
    request(BODY, `Basic ${Buffer.from(`${basicClient.client_id}:${basicClient.client_secret}`).toString('base64')}`),
  ],
];
for (const [name, t, index] of [
  ['federated_jwt, 1 client', one, 0],
  ['federated_jwt, 100,000 clients', many, 54_321],
] as const) {
  const { jwk, token } = await platformToken(index, ISSUER);
  await admin(t, '/admin/trusted-issuers', { issuer: PLATFORM_ISSUER, jwks: { keys: [jwk] } });
  const body = `${BODY}&client_assertion_type=${encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')}&client_assertion=${token}`;
  cases.push([name, t, request(body)]);
}

async function run(t: Tessera, req: TokenRequest, n: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = handleTokenRequest(t.ctx, req);
    if (r instanceof Promise) await r;
  }
  return Number(process.hrtime.bigint() - started) / n / 1000;
}

for (const [, t, req] of cases) await run(t, req, 3000); // warm up, and check each answers
const rounds = 9;
const times = cases.map(() => [] as number[]);
for (let round = 0; round < rounds; round++) {
  // Each round starts with another case, so no case always follows the same one.
  for (let k = 0; k < cases.length; k++) {
    const i = (round + k) % cases.length;
    const [, t, req] = cases[i] as (typeof cases)[number];
    times[i]?.push(await run(t, req, 5000));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const base = median(times[0] as number[]);
for (const [i, [name]] of cases.entries()) {
  const m = median(times[i] as number[]);
  console.log(
    `${name.padEnd(34)} ${m.toFixed(1).padStart(6)} µs/request  ${(base / m).toFixed(2)}× the client_secret_basic throughput`,
  );
}
await one.close();
await many.close();
rmSync(dir, { recursive: true, force: true });

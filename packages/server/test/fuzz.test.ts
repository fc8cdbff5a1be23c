import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { ADMIN_KEY, basic, type Harness, startHarness } from './harness.js';

/**
 * Seeded, reproducible fuzzing of every endpoint: random methods, paths,
 * headers, encodings and bodies. The server must answer every one with a
 * status below 500 and never hang. Reproduce a failure with FUZZ_SEED=<seed>.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe(`fuzz (seed ${SEED})`, () => {
  let h: Harness;
  let client: { client_id: string; client_secret: string };
  before(async () => {
    h = await startHarness();
    client = await h.createClient({ client_id: 'fuzz-client', scope: 'a b', audience: ['x'] });
    await h.createClient({ client_id: 'fuzz-opaque', scope: 'a', access_token_format: 'opaque' });
  });
  after(() => h.close());

  const rand = prng(SEED);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const ascii = (n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + int(95))).join('');
  const anyString = (n: number) =>
    pick([
      () => ascii(n),
      () => Array.from({ length: n }, () => String.fromCharCode(int(0x3000))).join(''),
      () => '\u0000'.repeat(n),
      () => '%'.repeat(n),
      () => '%zz%E0%A4%A',
      () => '__proto__',
      () => 'constructor',
      () => 'x'.repeat(10_000),
      () => '',
      () => client.client_id,
      () => client.client_secret,
      () => 'client_credentials',
      () => 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      () => `eyJ${ascii(n)}.eyJ${ascii(n)}.${ascii(n)}`,
      () => `tessera_at_${ascii(43)}`,
    ])();
  const PARAMS = [
    'grant_type',
    'scope',
    'audience',
    'resource',
    'client_id',
    'client_secret',
    'client_assertion',
    'client_assertion_type',
    'token',
    'token_type_hint',
    '__proto__',
    'constructor',
    'limit',
    'cursor',
  ];
  const PATHS = [
    '/oauth2/token',
    '/oauth2/introspect',
    '/oauth2/revoke',
    '/.well-known/jwks.json',
    '/.well-known/oauth-authorization-server',
    '/.well-known/openid-configuration',
    '/healthz',
    '/readyz',
    '/admin/clients',
    '/admin/clients/fuzz-client',
    '/admin/clients/fuzz-client/secrets',
    '/admin/keys',
    '/admin/keys/rotate',
    '/admin/clients/%00',
    '/admin/clients/..%2f..%2f',
    '/nope',
  ];
  const randomJson = (depth: number): unknown => {
    switch (depth > 3 ? int(4) : int(7)) {
      case 0:
        return anyString(int(20));
      case 1:
        return int(1e9) - 5e8;
      case 2:
        return pick([true, false, null]);
      case 3:
        return rand();
      case 4:
        return Array.from({ length: int(4) }, () => randomJson(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = 0; i < int(5); i++)
          o[
            pick([...PARAMS, 'claims', 'jwks', 'jwks_uri', 'access_token_ttl', 'token_endpoint_auth_method', ascii(5)])
          ] = randomJson(depth + 1);
        return o;
      }
    }
  };
  const randomBody = (): { type: string | undefined; payload: string | Buffer | undefined } => {
    switch (int(6)) {
      case 0: {
        const p = new URLSearchParams();
        for (let i = 0; i < int(6); i++) p.append(pick(PARAMS), anyString(int(30)));
        return { type: 'application/x-www-form-urlencoded', payload: p.toString() };
      }
      case 1:
        return { type: 'application/json', payload: JSON.stringify(randomJson(0)) };
      case 2:
        return { type: pick(['application/json', 'application/x-www-form-urlencoded']), payload: anyString(int(200)) };
      case 3:
        return {
          type: pick([
            'text/plain',
            'multipart/form-data; boundary=x',
            'application/xml',
            ';;;',
            'application/json; charset=latin1',
          ]),
          payload: anyString(int(100)),
        };
      case 4:
        return { type: undefined, payload: Buffer.from(Array.from({ length: int(300) }, () => int(256))) };
      default:
        return { type: undefined, payload: undefined };
    }
  };
  const randomAuth = (): string | undefined =>
    pick([
      undefined,
      `Bearer ${ADMIN_KEY}`,
      `Bearer ${anyString(int(40))}`,
      basic(client.client_id, client.client_secret),
      basic(anyString(int(20)), anyString(int(20))),
      `Basic ${anyString(int(40))}`,
      anyString(int(60)),
      'Basic',
      'Bearer',
    ]);

  it(`answers ${REQUESTS} random requests without a 5xx or a hang`, async () => {
    const statuses = new Map<number, number>();
    for (let i = 0; i < REQUESTS; i++) {
      const body = randomBody();
      const auth = randomAuth();
      const headers: Record<string, string> = {};
      if (body.type) headers['content-type'] = body.type;
      if (auth) headers.authorization = auth;
      if (int(10) === 0) headers['x-request-id'] = anyString(int(80));
      const query = int(5) === 0 ? `?${pick(PARAMS)}=${encodeURIComponent(anyString(10))}&limit=${int(300)}` : '';
      const url = pick(PATHS) + query;
      const opts: InjectOptions = {
        method: pick(['GET', 'POST', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const),
        url,
        headers,
        ...(body.payload === undefined ? {} : { payload: body.payload }),
      };
      // Rotating signing keys 10,000 times would only measure RSA key generation.
      if (url.startsWith('/admin/keys/rotate') && opts.method === 'POST') continue;
      const r = await h.inject(opts);
      statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
      assert.ok(
        r.statusCode < 500 || (r.statusCode === 503 && url.startsWith('/readyz')),
        `${r.statusCode} for ${JSON.stringify({ ...opts, payload: String(opts.payload).slice(0, 200) })}: ${r.body.slice(0, 200)}`,
      );
    }
    // The client it started with still works: nothing the fuzzer sent broke it.
    const t = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(client.client_id, client.client_secret) },
    );
    assert.ok([200, 401].includes(t.statusCode));
    assert.ok((statuses.get(200) ?? 0) > 0, 'some requests succeed');
  });

  it('survives malformed HTTP on a real socket', async () => {
    const address = await h.tessera.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const garbage = [
      'GARBAGE\r\n\r\n',
      'POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
      'POST /oauth2/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzzz\r\n',
      `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
      'POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\nshort',
      'GET /healthz HTTP/1.1\r\nHost: x\r\n\u0000\r\n\r\n',
      'POST /admin/clients HTTP/1.0\r\n\r\n',
    ];
    for (let i = 0; i < 200; i++)
      garbage.push(Buffer.from(Array.from({ length: 1 + int(200) }, () => int(256))).toString('latin1'));
    for (const g of garbage) {
      const answer = await new Promise<string>((resolve) => {
        const s = connect(Number(port), '127.0.0.1');
        let got = '';
        s.setTimeout(3000, () => {
          s.destroy();
          resolve(`${got}[timeout]`);
        });
        s.on('data', (d) => {
          got += d.toString('latin1');
        });
        s.on('error', () => resolve(got));
        s.on('close', () => resolve(got));
        s.end(g, 'latin1');
      });
      assert.ok(
        !/^HTTP\/1\.[01] 5\d\d/.test(answer),
        `5xx for ${JSON.stringify(g.slice(0, 80))}: ${answer.slice(0, 120)}`,
      );
    }
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
  });
});

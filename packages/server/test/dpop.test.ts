import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { handleTokenRequest } from '../src/core/token-endpoint.js';
import { TEST_POSTGRES_URL, useTestSchemas } from '../src/store/postgres/test-database.test-suite.js';
import { basic, decodeJwt, form, type Harness, ISSUER, startHarness, TOKEN_URL } from './harness.js';

/**
 * DPoP (RFC 9449) at the token endpoint, through the real HTTP interface:
 * binding, the token type, introspection of bound tokens, the proof checks,
 * single-use jtis in each replay store, server nonces and clients bound to DPoP.
 */

const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const INVALID_PROOF = { error: 'invalid_dpop_proof', error_description: 'the DPoP proof is invalid' };
const USED_PROOF = { error: 'invalid_dpop_proof', error_description: 'the DPoP proof was already used' };
const USE_NONCE = {
  error: 'use_dpop_nonce',
  error_description: 'a DPoP proof with the nonce in the DPoP-Nonce header is required',
};

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** A client's DPoP key and the proofs it signs, at the harness's clock. */
class Prover {
  private constructor(
    readonly privateKey: PrivateKey,
    readonly jwk: JWK,
    readonly jkt: string,
  ) {}

  static async create(alg = 'ES256'): Promise<Prover> {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    const jwk = await exportJWK(publicKey);
    return new Prover(privateKey, jwk, await calculateJwkThumbprint(jwk, 'sha256'));
  }

  proof(h: Harness, claims: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT({
      jti: randomUUID(),
      htm: 'POST',
      htu: TOKEN_URL,
      iat: Math.floor(h.clock.ms / 1000),
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: this.jwk })
      .sign(this.privateKey);
  }
}

type Client = { client_id: string; client_secret: string };
const auth = (c: Client) => ({ authorization: basic(c.client_id, c.client_secret) });
const grant = { grant_type: 'client_credentials' };

function introspect(h: Harness, c: Client, token: string) {
  return h.inject({
    method: 'POST',
    url: '/oauth2/introspect',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth(c) },
    payload: form({ token }),
  });
}

describe('DPoP at the token endpoint', () => {
  let h: Harness;
  let prover: Prover;
  let c: Client;

  before(async () => {
    h = await startHarness();
    prover = await Prover.create();
    c = await h.createClient({ scope: 'event.view', audience: ['calendar'] });
  });
  after(() => h.close());

  it('binds a JWT to the proof key: token_type DPoP, cnf.jkt the RFC 7638 thumbprint', async () => {
    const r = await h.token(grant, { ...auth(c), dpop: await prover.proof(h) });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['dpop-nonce'], undefined, 'no nonce when none is required');
    const body = r.json();
    assert.equal(body.token_type, 'DPoP');
    const jwks = createLocalJWKSet((await h.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json());
    const { payload } = await jwtVerify(body.access_token, jwks, {
      issuer: ISSUER,
      audience: 'calendar',
      currentDate: new Date(h.clock.ms),
    });
    assert.deepEqual(payload.cnf, { jkt: prover.jkt });
    assert.equal(prover.jkt, await calculateJwkThumbprint(prover.jwk, 'sha256'));

    const seen = (await introspect(h, c, body.access_token)).json();
    assert.equal(seen.active, true);
    assert.equal(seen.token_type, 'DPoP');
    assert.deepEqual(seen.cnf, { jkt: prover.jkt });
  });

  it('without a proof, a Bearer token as before: no cnf anywhere', async () => {
    const r = await h.token(grant, auth(c));
    assert.equal(r.json().token_type, 'Bearer');
    assert.equal(decodeJwt(r.json().access_token).payload.cnf, undefined);
    const seen = (await introspect(h, c, r.json().access_token)).json();
    assert.equal(seen.token_type, 'Bearer');
    assert.equal(seen.cnf, undefined);
  });

  it('binds opaque tokens too: the row keeps cnf, introspection answers it with token_type DPoP', async () => {
    const o = await h.createClient({ scope: 'a', access_token_format: 'opaque' });
    const bound = await h.token(grant, { ...auth(o), dpop: await prover.proof(h) });
    assert.equal(bound.statusCode, 200, bound.body);
    assert.equal(bound.json().token_type, 'DPoP');
    const seen = (await introspect(h, o, bound.json().access_token)).json();
    assert.equal(seen.active, true);
    assert.equal(seen.token_type, 'DPoP');
    assert.deepEqual(seen.cnf, { jkt: prover.jkt });

    const plain = await h.token(grant, auth(o));
    const unbound = (await introspect(h, o, plain.json().access_token)).json();
    assert.equal(unbound.token_type, 'Bearer');
    assert.equal(unbound.cnf, undefined);
  });

  it('answers each bad proof 400 invalid_dpop_proof, the reason only in the log', async () => {
    const other = await Prover.create();
    const cases: [string, Promise<string> | string][] = [
      ['htu of another endpoint', prover.proof(h, { htu: `${ISSUER}/oauth2/introspect` })],
      ['htm GET', prover.proof(h, { htm: 'GET' })],
      ['stale iat', prover.proof(h, { iat: Math.floor(h.clock.ms / 1000) - 120 })],
      ['future iat', prover.proof(h, { iat: Math.floor(h.clock.ms / 1000) + 120 })],
      [
        'signed by a key other than its jwk',
        new SignJWT({ jti: randomUUID(), htm: 'POST', htu: TOKEN_URL, iat: Math.floor(h.clock.ms / 1000) })
          .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: prover.jwk })
          .sign(other.privateKey),
      ],
      ['garbage', 'not.a.jwt'],
    ];
    const logsBefore = h.logs.length;
    for (const [name, proof] of cases) {
      const r = await h.token(grant, { ...auth(c), dpop: await proof });
      assert.equal(r.statusCode, 400, name);
      assert.deepEqual(r.json(), INVALID_PROOF, name);
      assert.equal(r.headers['cache-control'], 'no-store', name);
    }
    const reasons = h.logs.slice(logsBefore).map((l) => JSON.parse(l).reason as string | undefined);
    assert.ok(reasons.includes('htu does not match the endpoint URL'), reasons.join('; '));
    assert.ok(reasons.includes('iat is too old'));
    assert.ok(reasons.includes('iat is in the future'));
  });

  it('accepts an htu with a query (compared without it)', async () => {
    const r = await h.token(grant, { ...auth(c), dpop: await prover.proof(h, { htu: `${TOKEN_URL}?x=1#y` }) });
    assert.equal(r.statusCode, 200, r.body);
  });

  it('refuses two DPoP headers', async () => {
    const r = await h.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...auth(c),
        dpop: [await prover.proof(h), await prover.proof(h)],
      },
      payload: form(grant),
    });
    assert.equal(r.statusCode, 400);
    assert.deepEqual(r.json(), INVALID_PROOF);
    assert.ok(h.logs.some((l) => l.includes('more than one DPoP header')));
  });

  it('checks the proof only after the client authenticated: a failed login spends no jti', async () => {
    const proof = await prover.proof(h);
    const wrong = await h.token(grant, { authorization: basic(c.client_id, 'wrong-secret-wrong-secret'), dpop: proof });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error, 'invalid_client');
    const right = await h.token(grant, { ...auth(c), dpop: proof });
    assert.equal(right.statusCode, 200, right.body);
  });

  it('refuses a proof used twice', async () => {
    const proof = await prover.proof(h);
    assert.equal((await h.token(grant, { ...auth(c), dpop: proof })).statusCode, 200);
    const again = await h.token(grant, { ...auth(c), dpop: proof });
    assert.equal(again.statusCode, 400);
    assert.deepEqual(again.json(), USED_PROOF);
  });

  it('a client with dpop_bound_access_tokens gets no token without a proof', async () => {
    const bound = await h.createClient({ scope: 'a', dpop_bound_access_tokens: true });
    assert.equal(bound.dpop_bound_access_tokens, true, 'the admin view shows it');
    const without = await h.token(grant, auth(bound));
    assert.equal(without.statusCode, 400);
    assert.deepEqual(without.json(), {
      error: 'invalid_dpop_proof',
      error_description: 'a DPoP proof is required for this client',
    });
    const withProof = await h.token(grant, { ...auth(bound), dpop: await prover.proof(h) });
    assert.equal(withProof.statusCode, 200, withProof.body);
    assert.equal(withProof.json().token_type, 'DPoP');

    const off = await h.admin('PATCH', `/admin/clients/${bound.client_id}`, { dpop_bound_access_tokens: false });
    assert.equal(off.json().dpop_bound_access_tokens, false);
    assert.equal((await h.token(grant, auth(bound))).json().token_type, 'Bearer');

    const bad = await h.admin('POST', '/admin/clients', { dpop_bound_access_tokens: 'yes' });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(bad.json(), {
      error: 'invalid_client_metadata',
      error_description: 'dpop_bound_access_tokens: must be true or false',
    });
    const plain = await h.createClient({ scope: 'a' });
    assert.equal('dpop_bound_access_tokens' in plain, false, 'absent unless set: false');
  });

  it('keeps a request without a proof, for a cached client, synchronous (no promise on the hot path)', async () => {
    await h.token(grant, auth(c)); // the client is cached now
    const request = {
      params: new Map([['grant_type', ['client_credentials']]]),
      authorization: basic(c.client_id, c.client_secret),
      method: 'POST',
      url: TOKEN_URL,
      dpop: undefined,
      clientCertificate: undefined,
    };
    const result = handleTokenRequest(h.tessera.ctx, request);
    assert.equal(result instanceof Promise, false);
    const withProof = handleTokenRequest(h.tessera.ctx, { ...request, dpop: await prover.proof(h) });
    assert.ok(withProof instanceof Promise, 'the DPoP path waits on the replay store');
    assert.equal(JSON.parse((await withProof).json).token_type, 'DPoP');
  });

  it('lists the proof algorithms in discovery', async () => {
    for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const meta = (await h.inject({ method: 'GET', url })).json();
      assert.deepEqual(meta.dpop_signing_alg_values_supported, [
        'ES256',
        'ES384',
        'ES512',
        'PS256',
        'PS384',
        'PS512',
        'RS256',
        'RS384',
        'RS512',
        'EdDSA',
        'Ed25519',
      ]);
    }
  });
});

describe('DPoP server nonces (TESSERA_DPOP_NONCE=required)', () => {
  const encryptionKey = randomBytes(32).toString('base64url');
  const env = { TESSERA_DPOP_NONCE: 'required', TESSERA_ENCRYPTION_KEY: encryptionKey };
  let a: Harness;
  let b: Harness;
  let prover: Prover;
  const secret = 'a-shared-secret-that-is-long-enough-0123';
  const c: Client = { client_id: `nonce-${randomUUID()}`, client_secret: secret };

  before(async () => {
    // Two nodes: separate stores, the same encryption key, no state shared for nonces.
    a = await startHarness({}, env);
    b = await startHarness({}, env);
    for (const h of [a, b]) await h.createClient({ client_id: c.client_id, client_secret: secret, scope: 'a' });
    prover = await Prover.create();
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it('answers a proof without a nonce use_dpop_nonce with a DPoP-Nonce header; the retry succeeds', async () => {
    const first = await a.token(grant, { ...auth(c), dpop: await prover.proof(a) });
    assert.equal(first.statusCode, 400);
    assert.deepEqual(first.json(), USE_NONCE);
    const nonce = first.headers['dpop-nonce'];
    assert.equal(typeof nonce, 'string');
    assert.equal(first.headers['cache-control'], 'no-store');

    const retry = await a.token(grant, { ...auth(c), dpop: await prover.proof(a, { nonce }) });
    assert.equal(retry.statusCode, 200, retry.body);
    assert.equal(retry.json().token_type, 'DPoP');
    assert.equal(typeof retry.headers['dpop-nonce'], 'string', 'a fresh nonce to go on with');
  });

  it('accepts a nonce another node made with the same encryption key', async () => {
    const first = await b.token(grant, { ...auth(c), dpop: await prover.proof(b) });
    const nonce = first.headers['dpop-nonce'] as string;
    const onA = await a.token(grant, { ...auth(c), dpop: await prover.proof(a, { nonce }) });
    assert.equal(onA.statusCode, 200, onA.body);
  });

  it('refuses a stale nonce with a fresh one', async () => {
    const nonce = (await a.token(grant, { ...auth(c), dpop: await prover.proof(a) })).headers['dpop-nonce'];
    a.clock.advance(180);
    try {
      const stale = await a.token(grant, { ...auth(c), dpop: await prover.proof(a, { nonce }) });
      assert.equal(stale.statusCode, 400);
      assert.deepEqual(stale.json(), USE_NONCE);
      assert.notEqual(stale.headers['dpop-nonce'], nonce);
      const fresh = await a.token(grant, {
        ...auth(c),
        dpop: await prover.proof(a, { nonce: stale.headers['dpop-nonce'] }),
      });
      assert.equal(fresh.statusCode, 200, fresh.body);
    } finally {
      a.clock.advance(-180);
    }
  });

  it('leaves requests without a proof alone: nonces are for proofs', async () => {
    const r = await a.token(grant, auth(c));
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().token_type, 'Bearer');
    assert.equal(r.headers['dpop-nonce'], undefined);
  });
});

const schemas = useTestSchemas();

/**
 * A proof's jti is spent in the same replay store as client assertions:
 * atomic across nodes. Two nodes share a PostgreSQL schema, or (each with
 * its own SQLite) one Redis; a proof spent on one is refused by the other,
 * and of concurrent copies exactly one gets a token.
 */
for (const backend of ['sqlite', 'postgres', 'redis'] as const)
  describe(`DPoP replay across nodes (${backend})`, () => {
    const nodes: Harness[] = [];
    let prover: Prover;
    const c: Client = {
      client_id: `replay-${randomUUID()}`,
      client_secret: 'a-shared-secret-that-is-long-enough-0123',
    };

    before(async () => {
      const env: NodeJS.ProcessEnv = { TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url') };
      if (backend === 'postgres') {
        const url = new URL(TEST_POSTGRES_URL);
        url.searchParams.set('options', `-c search_path=${await schemas.freshSchema()}`);
        env.TESSERA_DATABASE_URL = url.toString();
      }
      if (backend === 'redis') env.TESSERA_REDIS_URL = REDIS_URL;
      // SQLite in memory is one node's own: two nodes need a shared store.
      const count = backend === 'sqlite' ? 1 : 2;
      for (let i = 0; i < count; i++) nodes.push(await startHarness({}, env));
      const registrations = backend === 'postgres' ? nodes.slice(0, 1) : nodes;
      for (const h of registrations) await h.createClient({ ...c, scope: 'a' });
      prover = await Prover.create();
    });
    after(async () => {
      for (const h of nodes) await h.close();
    });

    it('refuses a proof spent on another node (or, alone, on this one)', async () => {
      const first = nodes[0] as Harness;
      const second = nodes.at(-1) as Harness;
      const proof = await prover.proof(first);
      const ok = await first.token(grant, { ...auth(c), dpop: proof });
      assert.equal(ok.statusCode, 200, ok.body);
      const again = await second.token(grant, { ...auth(c), dpop: proof });
      assert.equal(again.statusCode, 400);
      assert.deepEqual(again.json(), USED_PROOF);
    });

    it('gives exactly one of 10 concurrent copies of a proof a token', async () => {
      const proof = await prover.proof(nodes[0] as Harness);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (nodes[i % nodes.length] as Harness).token(grant, { ...auth(c), dpop: proof }),
        ),
      );
      assert.deepEqual(answers.map((r) => r.statusCode).sort(), [200, 400, 400, 400, 400, 400, 400, 400, 400, 400]);
    });
  });

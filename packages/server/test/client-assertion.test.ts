import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { type Harness, ISSUER, startHarness, TOKEN_URL } from './harness.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'] | Uint8Array;

interface AssertionOptions {
  alg?: string;
  kid?: string | undefined;
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number | null;
  nbf?: number;
  iat?: number;
  jti?: string | number | null;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** `c` put into the middle of the signature. */
function spliceSignature(jwt: string, c: string): string {
  const at = jwt.lastIndexOf('.') + 20;
  return `${jwt.slice(0, at)}${c}${jwt.slice(at)}`;
}

function splicePayload(jwt: string, c: string): string {
  const at = jwt.indexOf('.') + 10;
  return `${jwt.slice(0, at)}${c}${jwt.slice(at)}`;
}

/** An ES256 signature is 64 bytes, 86 characters: the last has 4 bits no byte uses. */
function flipUnusedBit(jwt: string): string {
  const last = jwt.at(-1) as string;
  assert.equal((jwt.length - jwt.lastIndexOf('.') - 1) % 4, 2);
  return `${jwt.slice(0, -1)}${BASE64URL[BASE64URL.indexOf(last) ^ 1]}`;
}

describe('private_key_jwt and client_secret_jwt (RFC 7523)', () => {
  let h: Harness;
  const now = () => Math.floor(h.clock.ms / 1000);

  async function assertion(clientId: string, key: Key, o: AssertionOptions = {}): Promise<string> {
    const claims: Record<string, unknown> = {
      iss: o.iss ?? clientId,
      sub: o.sub ?? clientId,
      aud: o.aud ?? ISSUER,
      iat: o.iat ?? now(),
    };
    if (o.exp !== null) claims.exp = o.exp ?? now() + 60;
    if (o.jti !== null) claims.jti = o.jti ?? randomUUID();
    if (o.nbf !== undefined) claims.nbf = o.nbf;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: o.alg ?? 'ES256', ...(o.kid ? { kid: o.kid } : {}) })
      .sign(key);
  }

  const tokenWith = (jwt: string, extra: Record<string, string> = {}) =>
    h.token({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: jwt,
      ...extra,
    });

  let es: { privateKey: Key; jwk: JWK };
  let pkjwt: { client_id: string };

  before(async () => {
    h = await startHarness();
    const pair = await generateKeyPair('ES256');
    es = { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid: 'es-1', alg: 'ES256' } };
    pkjwt = await h.createClient({
      scope: 'a',
      audience: ['event'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [es.jwk] },
    });
  });
  after(() => h.close());

  it('registers a private_key_jwt client without any secret', async () => {
    const r = await h.admin('GET', `/admin/clients/${pkjwt.client_id}`);
    assert.equal(r.json().token_endpoint_auth_method, 'private_key_jwt');
    assert.equal((pkjwt as Record<string, unknown>).client_secret, undefined);
  });

  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA'] as const) {
    it(`accepts a ${alg} assertion`, async () => {
      const pair = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
      const jwk = { ...(await exportJWK(pair.publicKey)), kid: `k-${alg}` };
      const c = await h.createClient({
        scope: 'a',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [jwk] },
      });
      const r = await tokenWith(await assertion(c.client_id, pair.privateKey, { alg, kid: jwk.kid }));
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().token_type, 'Bearer');
    });
  }

  it('accepts an assertion without kid, and aud as the token endpoint or an array', async () => {
    for (const aud of [TOKEN_URL, [ISSUER, 'https://elsewhere'], [TOKEN_URL]]) {
      const r = await tokenWith(await assertion(pkjwt.client_id, es.privateKey, { aud, kid: undefined }));
      assert.equal(r.statusCode, 200, JSON.stringify(aud));
    }
  });

  it('accepts an assertion valid for an hour (Authlib’s default)', async () => {
    const r = await tokenWith(await assertion(pkjwt.client_id, es.privateKey, { exp: now() + 3600 }));
    assert.equal(r.statusCode, 200);
  });

  const refusals: [string, (id: string) => Promise<string>][] = [
    ['wrong aud', (id) => assertion(id, es.privateKey, { aud: 'https://other.example' })],
    ['iss ≠ sub', (id) => assertion(id, es.privateKey, { sub: 'someone-else' })],
    ['another client as sub and iss', () => assertion('someone-else', es.privateKey)],
    ['expired', (id) => assertion(id, es.privateKey, { exp: now() - 120, iat: now() - 180 })],
    ['no exp', (id) => assertion(id, es.privateKey, { exp: null })],
    ['exp too far ahead', (id) => assertion(id, es.privateKey, { exp: now() + 24 * 3600 })],
    ['nbf in the future', (id) => assertion(id, es.privateKey, { nbf: now() + 600 })],
    ['iat in the future', (id) => assertion(id, es.privateKey, { iat: now() + 600 })],
    ['no jti', (id) => assertion(id, es.privateKey, { jti: null })],
    ['unregistered key', async (id) => assertion(id, (await generateKeyPair('ES256')).privateKey, { kid: 'es-1' })],
    [
      'alg none',
      async (id) =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
          JSON.stringify({ iss: id, sub: id, aud: ISSUER, exp: now() + 60, jti: randomUUID() }),
        ).toString('base64url')}.`,
    ],
    [
      'HS256 keyed with the public key',
      (id) => assertion(id, new TextEncoder().encode(JSON.stringify(es.jwk)), { alg: 'HS256' }),
    ],
    ['not a JWT', async () => 'not-a-jwt'],
    // RFC 7523 §3: the authorization server, here its issuer or its token endpoint, and nothing else.
    ['aud the introspection endpoint', (id) => assertion(id, es.privateKey, { aud: `${ISSUER}/oauth2/introspect` })],
    ['aud the revocation endpoint', (id) => assertion(id, es.privateKey, { aud: `${ISSUER}/oauth2/revoke` })],
    ['aud the issuer with a trailing slash', (id) => assertion(id, es.privateKey, { aud: `${ISSUER}/` })],
    ['a number as jti', (id) => assertion(id, es.privateKey, { jti: 1234567 })],
    ['an empty jti', (id) => assertion(id, es.privateKey, { jti: '' })],
    // Spellings jose's decoder (atob on Node 20) reads as the same signature: only canonical base64url is.
    ['a space in the signature', async (id) => spliceSignature(await assertion(id, es.privateKey), ' ')],
    ['a newline in the signature', async (id) => spliceSignature(await assertion(id, es.privateKey), '\n')],
    ['a padded signature', async (id) => `${await assertion(id, es.privateKey)}==`],
    ['an unused bit set in the signature', async (id) => flipUnusedBit(await assertion(id, es.privateKey))],
    ['a stray character in the payload', async (id) => splicePayload(await assertion(id, es.privateKey), '!')],
  ];
  for (const [name, make] of refusals) {
    it(`refuses an assertion: ${name}`, async () => {
      const r = await tokenWith(await make(pkjwt.client_id));
      assert.equal(r.statusCode, 401, r.body);
      assert.deepEqual(r.json(), INVALID_CLIENT);
    });
  }

  it('refuses a wrong client_assertion_type and a client_id that does not match', async () => {
    const jwt = await assertion(pkjwt.client_id, es.privateKey);
    const wrongType = await h.token({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:example:other',
      client_assertion: jwt,
    });
    assert.equal(wrongType.statusCode, 401);
    const mismatch = await tokenWith(await assertion(pkjwt.client_id, es.privateKey), { client_id: 'someone-else' });
    assert.equal(mismatch.statusCode, 401);
    const matching = await tokenWith(await assertion(pkjwt.client_id, es.privateKey), { client_id: pkjwt.client_id });
    assert.equal(matching.statusCode, 200);
  });

  it('spends a jti once: 40 concurrent requests with one assertion yield exactly one token', async () => {
    const jwt = await assertion(pkjwt.client_id, es.privateKey);
    const results = await Promise.all(Array.from({ length: 40 }, () => tokenWith(jwt)));
    const ok = results.filter((r) => r.statusCode === 200).length;
    const replays = results.filter((r) => r.statusCode === 401).length;
    assert.equal(ok, 1);
    assert.equal(replays, 39);
    // Still refused later, until it expires.
    assert.equal((await tokenWith(jwt)).statusCode, 401);
  });

  it('refuses an assertion from a client registered for a secret, and a secret from a private_key_jwt client', async () => {
    const basicClient = await h.createClient({ scope: 'a' });
    const r = await tokenWith(await assertion(basicClient.client_id, es.privateKey));
    assert.equal(r.statusCode, 401);
    const post = await h.token({
      grant_type: 'client_credentials',
      client_id: pkjwt.client_id,
      client_secret: 'x'.repeat(40),
    });
    assert.equal(post.statusCode, 401);
  });

  describe('with a jwks_uri', () => {
    let server: Server;
    let served: { keys: JWK[] };
    let fetches = 0;
    let uri: string;

    before(async () => {
      served = { keys: [es.jwk] };
      server = createServer((_req, res) => {
        fetches++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(served));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('fetches the client’s keys once, and a flood of unknown kids does not refetch during the cooldown', async () => {
      const c = await h.createClient({ scope: 'a', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: uri });
      assert.equal((await tokenWith(await assertion(c.client_id, es.privateKey, { kid: 'es-1' }))).statusCode, 200);
      assert.equal((await tokenWith(await assertion(c.client_id, es.privateKey, { kid: 'es-1' }))).statusCode, 200);
      assert.equal(fetches, 1);
      const next = await generateKeyPair('ES256');
      served = { keys: [es.jwk, { ...(await exportJWK(next.publicKey)), kid: 'es-2', alg: 'ES256' }] };
      // Within the refetch cooldown an unknown kid fails without hitting the client's server.
      for (let i = 0; i < 20; i++) {
        const r = await tokenWith(await assertion(c.client_id, next.privateKey, { kid: `bogus-${i}` }));
        assert.equal(r.statusCode, 401);
      }
      assert.equal(fetches, 1);
    });

    it('refuses jwks_uri over plain http to a non-loopback host', async () => {
      const r = await h.admin('POST', '/admin/clients', {
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: 'http://internal.example/jwks',
      });
      assert.equal(r.statusCode, 400);
      const both = await h.admin('POST', '/admin/clients', {
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: uri,
        jwks: { keys: [es.jwk] },
      });
      assert.equal(both.statusCode, 400);
    });
  });

  describe('client_secret_jwt', () => {
    it('accepts HS256/384/512 keyed by the secret, with the same replay rule', async () => {
      const c = await h.createClient({ scope: 'a', token_endpoint_auth_method: 'client_secret_jwt' });
      const key = new TextEncoder().encode(c.client_secret);
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        const jwt = await assertion(c.client_id, key, { alg });
        assert.equal((await tokenWith(jwt)).statusCode, 200, alg);
        assert.equal((await tokenWith(jwt)).statusCode, 401, `${alg} replay`);
      }
      const wrong = await assertion(c.client_id, new TextEncoder().encode('x'.repeat(64)), { alg: 'HS256' });
      assert.equal((await tokenWith(wrong)).statusCode, 401);
      const asymmetric = await assertion(c.client_id, es.privateKey);
      assert.equal((await tokenWith(asymmetric)).statusCode, 401);
    });

    it('keeps the secret sealed at rest, and only for these clients', async () => {
      const jwtClient = await h.createClient({ token_endpoint_auth_method: 'client_secret_jwt' });
      const basicClient = await h.createClient({});
      const stored = await h.tessera.ctx.store.getClient(jwtClient.client_id);
      const sealed = stored?.secrets[0]?.sealed;
      assert.ok(sealed?.startsWith('v1.'));
      assert.ok(!JSON.stringify(stored).includes(jwtClient.client_secret));
      assert.equal((await h.tessera.ctx.store.getClient(basicClient.client_id))?.secrets[0]?.sealed, null);
    });

    it('switching a client to client_secret_jwt issues a new, recoverable secret', async () => {
      const c = await h.createClient({ scope: 'a' });
      const r = await h.admin('PATCH', `/admin/clients/${c.client_id}`, {
        token_endpoint_auth_method: 'client_secret_jwt',
      });
      assert.equal(r.statusCode, 200);
      const secret = r.json().client_secret as string;
      assert.match(secret, /^tessera_cs_/);
      const jwt = await assertion(c.client_id, new TextEncoder().encode(secret), { alg: 'HS256' });
      assert.equal((await tokenWith(jwt)).statusCode, 200);
    });
  });
});

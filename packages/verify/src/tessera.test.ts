import assert from 'node:assert/strict';
import { createHmac, createPublicKey, type JsonWebKey } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type RegisteredClient, startTessera, type TesseraProcess } from '../../../e2e/support/tessera-process.js';
import { VerifyError, type VerifyErrorCode } from './errors.js';
import { basicAuthorization } from './introspection.js';
import { createVerifier, type VerifierOptions } from './verifier.js';

/** Against the real server, as a black box: everything comes from its discovery document. */
describe('against a real Tessera server', () => {
  let tessera: TesseraProcess;
  let meta: Record<string, string>;
  let calendarClient: RegisteredClient;
  let filesClient: RegisteredClient;
  let opaqueClient: RegisteredClient;
  let resourceServer: RegisteredClient;
  let resourceServerPost: RegisteredClient;

  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'ok' as const,
      (e: unknown) => (e instanceof VerifyError ? e.code : `unexpected: ${e}`),
    );
  const expectCode = async (p: Promise<unknown>, expected: VerifyErrorCode | 'ok') =>
    assert.equal(await code(p), expected);
  const verifier = (options: Partial<VerifierOptions> = {}) =>
    createVerifier({ issuer: tessera.url, audience: 'calendar', ...options });

  async function getToken(client: RegisteredClient, audience: string): Promise<string> {
    const r = await fetch(meta.token_endpoint as string, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(client.client_id, client.client_secret as string),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience }),
    });
    const body = (await r.json()) as { access_token: string };
    assert.equal(r.status, 200, JSON.stringify(body));
    return body.access_token;
  }

  before(async () => {
    tessera = await startTessera();
    meta = (await (await fetch(`${tessera.url}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      string
    >;
    const scope = 'event.view event.create';
    calendarClient = await tessera.createClient({ client_id: 'task-service', scope, audience: ['calendar'] });
    filesClient = await tessera.createClient({ scope, audience: ['files'] });
    opaqueClient = await tessera.createClient({ scope, audience: ['calendar'], access_token_format: 'opaque' });
    resourceServer = await tessera.createClient({ client_name: 'Calendar Service' });
    resourceServerPost = await tessera.createClient({ token_endpoint_auth_method: 'client_secret_post' });
  });
  after(() => tessera?.stop());

  it('verifies a token from the token endpoint', async () => {
    const result = await verifier().verify(await getToken(calendarClient, 'calendar'), { scope: 'event.view' });
    assert.equal(result.clientId, 'task-service');
    assert.equal(result.subject, 'task-service');
    assert.deepEqual(result.scopes, ['event.view', 'event.create']);
    assert.deepEqual(result.audience, ['calendar']);
    assert.equal(result.issuer, tessera.url);
  });

  it('refuses a token for another audience, or lacking a scope', async () => {
    await expectCode(verifier().verify(await getToken(filesClient, 'files')), 'audience_mismatch');
    await expectCode(
      verifier().verify(await getToken(calendarClient, 'calendar'), { scope: 'event.delete' }),
      'insufficient_scope',
    );
  });

  it('refuses a token from another issuer, and metadata naming another issuer', async () => {
    const token = await getToken(calendarClient, 'calendar');
    await expectCode(
      verifier({ issuer: 'https://other.example', jwksUri: meta.jwks_uri }).verify(token),
      'issuer_mismatch',
    );
    const alias = `http://127.0.0.1:${tessera.port}`;
    await expectCode(verifier({ issuer: alias }).verify(token), 'discovery_failed');
  });

  it('refuses an expired token (injected clock)', async () => {
    const token = await getToken(calendarClient, 'calendar');
    let now = Date.now();
    const v = verifier({ clock: () => now });
    await expectCode(v.verify(token), 'ok');
    now += (3600 + 31) * 1000;
    await expectCode(v.verify(token), 'token_expired');
  });

  it('refuses tampered tokens, alg none and HS256 keyed with the public key', async () => {
    const token = await getToken(calendarClient, 'calendar');
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url');
    const v = verifier();
    await expectCode(v.verify(`${h}.${forged}.${s}`), 'signature_invalid');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    await expectCode(v.verify(`${enc({ ...header, alg: 'none' })}.${p}.`), 'alg_not_allowed');
    const jwks = (await (await fetch(meta.jwks_uri as string)).json()) as { keys: JsonWebKey[] };
    const jwk = jwks.keys.find((k) => k.kid === header.kid) as JsonWebKey;
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'pem', type: 'spki' });
    const input = `${enc({ ...header, alg: 'HS256' })}.${p}`;
    await expectCode(
      v.verify(`${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`),
      'alg_not_allowed',
    );
  });

  it('picks up a key rotation within the cooldown', async () => {
    let now = Date.now();
    const v = verifier({ clock: () => now });
    const before = await getToken(calendarClient, 'calendar');
    await expectCode(v.verify(before), 'ok');
    const rotated = await tessera.admin('POST', '/admin/keys/rotate');
    assert.equal(rotated.status, 201);
    const afterRotation = await getToken(calendarClient, 'calendar');
    const kid = JSON.parse(Buffer.from(afterRotation.split('.')[0] as string, 'base64url').toString()).kid;
    assert.equal(kid, rotated.body.kid);
    // The JWKS was fetched moments ago: a new kid waits for the cooldown (5 s) rather than hammering the issuer.
    await expectCode(v.verify(afterRotation), 'kid_unknown');
    now += 5_000;
    await expectCode(v.verify(afterRotation), 'ok');
    await expectCode(v.verify(before), 'ok');
  });

  it('keeps verifying with cached keys while the JWKS endpoint is down, without hanging', async () => {
    const proxy = await jwksProxy(meta.jwks_uri as string);
    try {
      let now = Date.now();
      const v = verifier({ jwksUri: proxy.url, clock: () => now, timeoutMs: 300, cacheSize: 0 });
      const token = await getToken(calendarClient, 'calendar');
      await expectCode(v.verify(token), 'ok');
      proxy.mode = 'hang';
      now += 11 * 60_000;
      const started = Date.now();
      await expectCode(v.verify(token), 'ok');
      await expectCode(v.verify(token), 'ok');
      proxy.mode = 'down';
      now += 11 * 60_000;
      await expectCode(v.verify(token), 'ok');
      assert.ok(Date.now() - started < 1_000, 'answered from cached keys');

      const cold = verifier({ jwksUri: proxy.url, timeoutMs: 300 });
      proxy.mode = 'hang';
      await expectCode(cold.verify(token), 'jwks_unavailable');
      assert.ok(Date.now() - started < 2_000, 'bounded by the timeout');
    } finally {
      await proxy.close();
    }
  });

  it('introspects opaque tokens with client_secret_basic, caching the answer until the cache age', async () => {
    let calls = 0;
    let now = Date.now();
    const v = verifier({
      clock: () => now,
      fetch: (url, init) => {
        if (url === meta.introspection_endpoint) calls++;
        return fetch(url, init);
      },
      introspection: { clientId: resourceServer.client_id, clientSecret: resourceServer.client_secret as string },
    });
    const token = await getToken(opaqueClient, 'calendar');
    assert.ok(!token.includes('.'));
    const result = await v.verify(token, { scope: 'event.view' });
    assert.equal(result.format, 'introspected');
    assert.equal(result.clientId, opaqueClient.client_id);
    assert.deepEqual(result.audience, ['calendar']);
    assert.deepEqual(result.scopes, ['event.view', 'event.create']);
    await expectCode(v.verify(token, { scope: 'event.delete' }), 'insufficient_scope');
    assert.equal(calls, 1);

    const revoke = await fetch(meta.revocation_endpoint as string, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(opaqueClient.client_id, opaqueClient.client_secret as string),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    });
    assert.equal(revoke.status, 200);
    await expectCode(v.verify(token), 'ok');
    assert.equal(calls, 1, 'answered from the positive cache');
    now += 60_000;
    await expectCode(v.verify(token), 'token_inactive');
    await expectCode(v.verify(token), 'token_inactive');
    assert.equal(calls, 2, 'answered from the negative cache');
    now += 5_000;
    await expectCode(v.verify(token), 'token_inactive');
    assert.equal(calls, 3);
  });

  it('introspects with client_secret_post, refuses unknown tokens and bad credentials', async () => {
    const v = verifier({
      introspection: {
        clientId: resourceServerPost.client_id,
        clientSecret: resourceServerPost.client_secret as string,
        authMethod: 'client_secret_post',
      },
    });
    await expectCode(v.verify(await getToken(opaqueClient, 'calendar')), 'ok');
    await expectCode(v.verify('tsr_unknown_token_value'), 'token_inactive');
    const wrong = verifier({ introspection: { clientId: resourceServer.client_id, clientSecret: 'wrong' } });
    await expectCode(wrong.verify(await getToken(opaqueClient, 'calendar')), 'introspection_unavailable');
    await expectCode(verifier().verify('tsr_opaque_without_introspection'), 'token_malformed');
  });

  it("mode 'always' introspects JWTs too, so a revoked JWT is refused", async () => {
    const v = verifier({
      introspection: {
        clientId: resourceServer.client_id,
        clientSecret: resourceServer.client_secret as string,
        mode: 'always',
      },
    });
    const token = await getToken(calendarClient, 'calendar');
    assert.equal((await v.verify(token)).format, 'introspected');
    await fetch(meta.revocation_endpoint as string, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(calendarClient.client_id, calendarClient.client_secret as string),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    });
    v.clearCache();
    await expectCode(v.verify(token), 'token_inactive');
  });
});

/** A stand-in for the issuer's JWKS URL that can go down or hang. */
async function jwksProxy(target: string) {
  const held = new Set<ServerResponse>();
  const state = { mode: 'up' as 'up' | 'down' | 'hang', url: '', close: async () => {} };
  const server: Server = createServer(async (_req, res) => {
    if (state.mode === 'hang') {
      held.add(res);
      return;
    }
    if (state.mode === 'down') {
      res.writeHead(502).end();
      return;
    }
    const upstream = await fetch(target);
    res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  state.close = async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

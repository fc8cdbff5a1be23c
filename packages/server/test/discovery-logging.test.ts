import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ADMIN_KEY, basic, type Harness, ISSUER, startHarness } from './harness.js';

describe('discovery, JWKS and health', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({}, { TESSERA_SIGNING_ALG: 'ES256' });
    await h.createClient({ scope: 'event.view event.create', audience: ['event'] });
    await h.createClient({ scope: 'file.view event.view' });
  });
  after(() => h.close());

  it('serves the same RFC 8414 metadata at both well-known names', async () => {
    const a = await h.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    const o = await h.inject({ method: 'GET', url: '/.well-known/openid-configuration' });
    assert.equal(a.statusCode, 200);
    assert.deepEqual(a.json(), o.json());
    const m = a.json();
    assert.equal(m.issuer, ISSUER);
    assert.equal(m.token_endpoint, `${ISSUER}/oauth2/token`);
    assert.equal(m.jwks_uri, `${ISSUER}/.well-known/jwks.json`);
    assert.equal(m.introspection_endpoint, `${ISSUER}/oauth2/introspect`);
    assert.equal(m.revocation_endpoint, `${ISSUER}/oauth2/revoke`);
    assert.deepEqual(m.grant_types_supported, [
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
    assert.deepEqual(m.response_types_supported, []);
    const methods = [
      'client_secret_basic',
      'client_secret_post',
      'federated_jwt',
      'private_key_jwt',
      'client_secret_jwt',
      'tls_client_auth',
      'self_signed_tls_client_auth',
    ];
    for (const field of [
      'token_endpoint_auth_methods_supported',
      'introspection_endpoint_auth_methods_supported',
      'revocation_endpoint_auth_methods_supported',
    ]) {
      assert.deepEqual(m[field], methods, field);
    }
    assert.ok(m.token_endpoint_auth_signing_alg_values_supported.includes('ES256'));
    assert.ok(!m.token_endpoint_auth_signing_alg_values_supported.includes('none'));
    assert.deepEqual(m.scopes_supported, ['event.create', 'event.view', 'file.view']);
    assert.equal(m.tls_client_certificate_bound_access_tokens, true);
  });

  it('updates scopes_supported when clients change', async () => {
    await h.createClient({ scope: 'pdf.render' });
    const m = (await h.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json();
    assert.ok(m.scopes_supported.includes('pdf.render'));
  });

  it('serves public keys only, each with kid, alg and use', async () => {
    const r = await h.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^application\/jwk-set\+json/);
    const { keys } = r.json();
    assert.equal(keys.length, 1);
    const [k] = keys;
    assert.equal(k.kty, 'EC');
    assert.equal(k.crv, 'P-256');
    assert.equal(k.alg, 'ES256');
    assert.equal(k.use, 'sig');
    assert.equal(typeof k.kid, 'string');
    assert.equal(k.d, undefined);
  });

  it('answers /healthz and /readyz', async () => {
    assert.deepEqual((await h.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
    const ready = await h.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', store: 'sqlite' });
  });
});

describe('logging', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('never writes a secret, assertion or token to the log, and tags every line with a request id', async () => {
    const c = await h.createClient({ scope: 'a', audience: ['x'] });
    const post = await h.createClient({ scope: 'a', token_endpoint_auth_method: 'client_secret_post' });
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const pk = await h.createClient({
      scope: 'a',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k' }] },
    });
    const assertion = await new SignJWT({ jti: 'j1' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setIssuer(pk.client_id)
      .setSubject(pk.client_id)
      .setAudience(ISSUER)
      .setIssuedAt(Math.floor(h.clock.ms / 1000))
      .setExpirationTime(Math.floor(h.clock.ms / 1000) + 60)
      .sign(privateKey);
    const t1 = (
      await h.token({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, c.client_secret) })
    ).json();
    await h.token({ grant_type: 'client_credentials', client_id: post.client_id, client_secret: post.client_secret });
    await h.token({
      grant_type: 'client_credentials',
      client_id: post.client_id,
      client_secret: `${post.client_secret}x`,
    });
    const t2 = await h.token({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    assert.equal(t2.statusCode, 200);
    await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(c.client_id, 'wrong-secret-value-123') },
    );
    await h.inject({
      method: 'POST',
      url: '/oauth2/introspect',
      headers: {
        authorization: basic(c.client_id, c.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: `token=${t1.access_token}`,
    });
    await h.inject({ method: 'GET', url: `/oauth2/token?client_secret=${c.client_secret}` });

    const log = h.logs.join('');
    const needles = [
      ADMIN_KEY,
      c.client_secret,
      post.client_secret,
      'wrong-secret-value-123',
      assertion,
      assertion.split('.')[2] as string,
      t1.access_token,
      t1.access_token.split('.')[2],
      t2.json().access_token,
    ];
    for (const n of needles) assert.ok(!log.includes(n), `log contains ${n.slice(0, 16)}…`);
    const requestLines = h.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    assert.ok(requestLines.length >= 7);
    for (const l of requestLines) assert.equal(typeof l.reqId, 'string');
  });

  it('never logs a secret sent in the wrong place, and logs an unknown client id only shortened', async () => {
    const c = await h.createClient({ scope: 'a' });
    const post = await h.createClient({ scope: 'a', token_endpoint_auth_method: 'client_secret_post' });
    const custom = await h.createClient({ scope: 'a', client_secret: 'custom-secret-without-a-prefix-0123456789' });
    const opaque = await h.createClient({ scope: 'a', access_token_format: 'opaque' });
    const auth = { authorization: basic(c.client_id, c.client_secret) };
    const opaqueToken = (
      await h.token(
        { grant_type: 'client_credentials' },
        { authorization: basic(opaque.client_id, opaque.client_secret) },
      )
    ).json().access_token as string;
    assert.match(opaqueToken, /^tessera_at_/);
    const before = h.logs.length;

    const unknownId = 'an-unknown-client-id-0123456789';
    const adminKeyLike = 'tessera_ak_Zm9yLWEtdGVzdC1vbmx5LW5vdC1hLXJlYWwta2V5';
    const answers = [
      await h.token({ grant_type: 'client_credentials' }, { authorization: basic(unknownId, 'x'.repeat(40)) }),
      // id and secret swapped, in the Authorization header and in the body
      await h.token({ grant_type: 'client_credentials' }, { authorization: basic(c.client_secret, c.client_id) }),
      await h.token({ grant_type: 'client_credentials', client_id: post.client_secret, client_secret: post.client_id }),
      await h.token(
        { grant_type: 'client_credentials' },
        { authorization: basic(custom.client_secret, custom.client_id) },
      ),
      // a secret or a token where a scope or a grant type belongs
      await h.token({ grant_type: 'client_credentials', scope: `a ${c.client_secret}` }, auth),
      await h.token({ grant_type: 'client_credentials', scope: opaqueToken }, auth),
      await h.token({ grant_type: c.client_secret }, auth),
      await h.token({ grant_type: 'client_credentials', scope: adminKeyLike }, auth),
    ];
    assert.deepEqual(
      answers.map((r) => r.statusCode),
      [401, 401, 401, 401, 400, 400, 400, 400],
    );

    const lines = h.logs.slice(before);
    const log = lines.join('');
    for (const secret of [
      c.client_secret,
      post.client_secret,
      custom.client_secret,
      opaqueToken,
      unknownId,
      adminKeyLike,
    ]) {
      assert.ok(!log.includes(secret), `log contains ${secret.slice(0, 16)}…`);
      // Not even most of it.
      assert.ok(!log.includes(secret.slice(0, 20)), `log contains ${secret.slice(0, 16)}…`);
    }
    const reasons = lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'request refused')
      .map((l) => l.reason);
    const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
    assert.deepEqual(reasons, [
      `unknown client an-unkno… sha256:${sha(unknownId)}`,
      `unknown client tessera_… sha256:${sha(c.client_secret)}`,
      `unknown client tessera_… sha256:${sha(post.client_secret)}`,
      `unknown client custom-s… sha256:${sha(custom.client_secret)}`,
      'scope not allowed for this client: tessera_cs_[redacted]',
      'scope not allowed for this client: tessera_at_[redacted]',
      'grant_type tessera_cs_[redacted] is not supported',
      'scope not allowed for this client: tessera_ak_[redacted]',
    ]);
  });
});

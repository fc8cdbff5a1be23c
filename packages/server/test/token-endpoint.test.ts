import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { basic, decodeJwt, type Harness, ISSUER, startHarness } from './harness.js';

const TASK = {
  client_name: 'Task Service',
  scope: 'event.view event.create event.update event.delete file.view file.create file.update file.delete',
  audience: ['event', 'file'],
};
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };

describe('token endpoint: client_credentials', () => {
  let h: Harness;
  let task: { client_id: string; client_secret: string };

  before(async () => {
    h = await startHarness();
    task = await h.createClient(TASK);
  });
  after(() => h.close());

  it('issues an RFC 9068 JWT with client_secret_basic', async () => {
    const r = await h.token(
      { grant_type: 'client_credentials', audience: 'event', scope: 'event.create' },
      { authorization: basic(task.client_id, task.client_secret) },
    );
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers.pragma, 'no-cache');
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const body = r.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3600);
    assert.equal(body.scope, 'event.create');

    const jwks = JSON.parse((await h.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body);
    const { payload, protectedHeader } = await jwtVerify(body.access_token, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: 'event',
      typ: 'at+jwt',
      currentDate: new Date(h.clock.ms),
    });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(typeof protectedHeader.kid, 'string');
    const now = Math.floor(h.clock.ms / 1000);
    assert.deepEqual(
      { ...payload, jti: 'x' },
      {
        iss: ISSUER,
        sub: task.client_id,
        client_id: task.client_id,
        aud: 'event',
        iat: now,
        nbf: now,
        exp: now + 3600,
        jti: 'x',
        scope: 'event.create',
        scp: ['event.create'],
      },
    );
    assert.match(String(payload.jti), /^[0-9a-f-]{36}$/);
  });

  // The token response quotes the access token without escaping it (oauth-endpoints.ts).
  it('issues tokens of characters JSON never escapes, even for claims that need escaping', async () => {
    for (const format of ['jwt', 'opaque']) {
      const c = await h.createClient({
        scope: 'a',
        audience: ['event'],
        access_token_format: format,
        ...(format === 'jwt' ? { claims: { note: 'quote " backslash \\ line\u2028' } } : {}),
      });
      const r = await h.token(
        { grant_type: 'client_credentials' },
        { authorization: basic(c.client_id, c.client_secret) },
      );
      assert.equal(r.statusCode, 200);
      assert.match(r.json().access_token, /^[A-Za-z0-9_.-]+$/);
    }
  });

  it('issues with client_secret_post once the client is registered for it', async () => {
    const c = await h.createClient({ ...TASK, token_endpoint_auth_method: 'client_secret_post' });
    const r = await h.token({
      grant_type: 'client_credentials',
      client_id: c.client_id,
      client_secret: c.client_secret,
    });
    assert.equal(r.statusCode, 200);
    // Omitted scope and audience: everything the client is allowed.
    const { payload } = decodeJwt(r.json().access_token);
    assert.equal(payload.scope, TASK.scope);
    assert.deepEqual(payload.aud, ['event', 'file']);
    assert.deepEqual(payload.scp, TASK.scope.split(' '));
  });

  it('accepts a JSON body with scope and audience as arrays', async () => {
    const r = await h.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { authorization: basic(task.client_id, task.client_secret), 'content-type': 'application/json' },
      payload: { grant_type: 'client_credentials', scope: 'event.view file.view', audience: ['event', 'file'] },
    });
    assert.equal(r.statusCode, 200);
    const { payload } = decodeJwt(r.json().access_token);
    assert.deepEqual(payload.aud, ['event', 'file']);
    assert.equal(payload.scope, 'event.view file.view');
  });

  it('takes RFC 8707 resource (repeatable) as the audience', async () => {
    const r = await h.token(
      { grant_type: 'client_credentials', resource: ['event', 'file'] },
      { authorization: basic(task.client_id, task.client_secret) },
    );
    assert.equal(r.statusCode, 200);
    assert.deepEqual(decodeJwt(r.json().access_token).payload.aud, ['event', 'file']);
  });

  it('adds the client claims and honours access_token_ttl', async () => {
    const c = await h.createClient({
      scope: 'a',
      audience: ['x'],
      claims: { stt: 1, tenant: 'acme' },
      access_token_ttl: 60,
    });
    const r = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(c.client_id, c.client_secret) },
    );
    assert.equal(r.json().expires_in, 60);
    const { payload } = decodeJwt(r.json().access_token);
    assert.equal(payload.stt, 1);
    assert.equal(payload.tenant, 'acme');
    assert.equal((payload.exp as number) - (payload.iat as number), 60);
  });

  it('writes exactly the RFC 9068 claims plus the client claims, escaped as JSON', async () => {
    const note = 'a "quoted" \\ back\u2028slash \u0000 ü';
    const c = await h.createClient({ scope: 'a b', audience: ['x', 'y'], claims: { note, nested: { n: [1, null] } } });
    const r = await h.token(
      { grant_type: 'client_credentials', scope: 'b' },
      { authorization: basic(c.client_id, c.client_secret) },
    );
    assert.equal(r.statusCode, 200);
    const { payload } = decodeJwt(r.json().access_token);
    assert.deepEqual(Object.keys(payload).sort(), [
      'aud',
      'client_id',
      'exp',
      'iat',
      'iss',
      'jti',
      'nbf',
      'nested',
      'note',
      'scope',
      'scp',
      'sub',
    ]);
    assert.equal(payload.note, note);
    assert.deepEqual(payload.nested, { n: [1, null] });
    assert.deepEqual(payload.aud, ['x', 'y']);
    assert.equal(payload.sub, c.client_id);
    assert.equal(payload.client_id, c.client_id);
    assert.equal(payload.scope, 'b');
    assert.deepEqual(payload.scp, ['b']);
    assert.equal(payload.nbf, payload.iat);
  });

  it('refuses a scope the client is not allowed: invalid_scope', async () => {
    const r = await h.token(
      { grant_type: 'client_credentials', scope: 'event.view admin' },
      { authorization: basic(task.client_id, task.client_secret) },
    );
    assert.equal(r.statusCode, 400);
    assert.deepEqual(r.json(), {
      error: 'invalid_scope',
      error_description: 'scope not allowed for this client: admin',
    });
  });

  it('refuses an audience or resource the client is not allowed: invalid_target', async () => {
    for (const param of ['audience', 'resource']) {
      const r = await h.token(
        { grant_type: 'client_credentials', [param]: 'billing' },
        { authorization: basic(task.client_id, task.client_secret) },
      );
      assert.equal(r.statusCode, 400);
      assert.equal(r.json().error, 'invalid_target');
    }
  });

  it('answers unknown client and wrong secret with the same invalid_client body, and logs the reason', async () => {
    const wrong = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(task.client_id, 'tessera_cs_wrong') },
    );
    const unknown = await h.token({ grant_type: 'client_credentials' }, { authorization: basic('nobody', 'whatever') });
    for (const r of [wrong, unknown]) {
      assert.equal(r.statusCode, 401);
      assert.equal(r.headers['www-authenticate'], 'Basic realm="tessera", charset="UTF-8"');
      assert.deepEqual(r.json(), INVALID_CLIENT);
    }
    assert.equal(wrong.body, unknown.body);
    assert.ok(h.logs.some((l) => l.includes('wrong secret for client')));
    assert.ok(h.logs.some((l) => l.includes('unknown client nobody')));
  });

  it('accepts the same secret in the body or in Basic from a client registered for either secret method', async () => {
    const post = await h.createClient({ ...TASK, token_endpoint_auth_method: 'client_secret_post' });
    const inBody = await h.token({
      grant_type: 'client_credentials',
      client_id: task.client_id,
      client_secret: task.client_secret,
    });
    const inBasic = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(post.client_id, post.client_secret) },
    );
    for (const r of [inBody, inBasic]) {
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().token_type, 'Bearer');
    }
  });

  it('keeps a client_secret_jwt client to its registered method: its secret alone does not authenticate it', async () => {
    const jwtClient = await h.createClient({ ...TASK, token_endpoint_auth_method: 'client_secret_jwt' });
    const inBody = await h.token({
      grant_type: 'client_credentials',
      client_id: jwtClient.client_id,
      client_secret: jwtClient.client_secret,
    });
    const inBasic = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(jwtClient.client_id, jwtClient.client_secret) },
    );
    for (const r of [inBody, inBasic]) {
      assert.equal(r.statusCode, 401);
      assert.deepEqual(r.json(), INVALID_CLIENT);
    }
    assert.ok(h.logs.some((l) => l.includes('is registered for client_secret_jwt, not client_secret_post')));
  });

  it('refuses two authentication methods at once', async () => {
    const r = await h.token(
      { grant_type: 'client_credentials', client_secret: task.client_secret, client_id: task.client_id },
      { authorization: basic(task.client_id, task.client_secret) },
    );
    assert.equal(r.statusCode, 401);
    assert.deepEqual(r.json(), INVALID_CLIENT);
  });

  it('refuses a request without any client authentication', async () => {
    const r = await h.token({ grant_type: 'client_credentials' });
    assert.equal(r.statusCode, 401);
    assert.ok(r.headers['www-authenticate']);
    const withId = await h.token({ grant_type: 'client_credentials', client_id: task.client_id });
    assert.equal(withId.statusCode, 401);
  });

  it('knows missing, unknown and unsupported grant types', async () => {
    const auth = { authorization: basic(task.client_id, task.client_secret) };
    const missing = await h.token({ scope: 'event.view' }, auth);
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(missing.json(), { error: 'invalid_request', error_description: 'grant_type is required' });
    for (const g of ['password', 'authorization_code', 'refresh_token', 'nonsense']) {
      const r = await h.token({ grant_type: g }, auth);
      assert.equal(r.statusCode, 400);
      assert.equal(r.json().error, 'unsupported_grant_type');
    }
  });

  it('answers unauthorized_client to a client without the grant', async () => {
    const rs = await h.createClient({ grant_types: [] });
    const r = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(rs.client_id, rs.client_secret) },
    );
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error, 'unauthorized_client');
  });

  it('refuses repeated parameters', async () => {
    const r = await h.token(
      { grant_type: 'client_credentials', scope: ['event.view', 'event.create'] },
      { authorization: basic(task.client_id, task.client_secret) },
    );
    assert.equal(r.statusCode, 400);
    assert.deepEqual(r.json(), { error: 'invalid_request', error_description: 'parameter "scope" is repeated' });
    const grant = await h.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: {
        authorization: basic(task.client_id, task.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'grant_type=client_credentials&grant_type=client_credentials',
    });
    assert.equal(grant.statusCode, 400);
    assert.equal(grant.json().error, 'invalid_request');
  });

  it('refuses parameters and credentials in the query string', async () => {
    const r = await h.inject({
      method: 'POST',
      url: `/oauth2/token?client_id=${task.client_id}&client_secret=${task.client_secret}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials',
    });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error, 'invalid_request');
    assert.ok(!h.logs.some((l) => l.includes(task.client_secret)), 'the secret in the URL must not be logged');
  });

  it('refuses a wrong content type and a malformed JSON body with invalid_request', async () => {
    const auth = basic(task.client_id, task.client_secret);
    const text = await h.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { authorization: auth, 'content-type': 'text/plain' },
      payload: 'grant_type=client_credentials',
    });
    assert.equal(text.statusCode, 400);
    assert.equal(text.json().error, 'invalid_request');
    const json = await h.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { authorization: auth, 'content-type': 'application/json' },
      payload: '{"grant_type": ',
    });
    assert.equal(json.statusCode, 400);
    assert.equal(json.json().error, 'invalid_request');
    const nested = await h.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { authorization: auth, 'content-type': 'application/json' },
      payload: { grant_type: 'client_credentials', scope: { a: 1 } },
    });
    assert.equal(nested.statusCode, 400);
    assert.equal(nested.json().error, 'invalid_request');
  });

  it('answers 405 with Allow: POST to other methods', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH'] as const) {
      const r = await h.inject({ method, url: '/oauth2/token' });
      assert.equal(r.statusCode, 405, method);
      assert.equal(r.headers.allow, 'POST');
    }
  });

  it('answers 413 to a body over the limit', async () => {
    const r = await h.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=client_credentials&scope=${'a'.repeat(70_000)}`,
    });
    assert.equal(r.statusCode, 413);
    assert.equal(r.json().error, 'invalid_request');
  });

  it('follows RFC 6749 §2.3.1: id and secret are form-decoded after base64', async () => {
    const id = 'svc:with+plus%and&amp';
    const c = await h.createClient({ client_id: id, scope: 'a' });
    const r = await h.token({ grant_type: 'client_credentials' }, { authorization: basic(id, c.client_secret) });
    assert.equal(r.statusCode, 200);
    assert.equal(decodeJwt(r.json().access_token).payload.client_id, id);
  });

  it('expires tokens exactly at access_token_ttl (introspection)', async () => {
    const c = await h.createClient({ scope: 'a', access_token_ttl: 30 });
    const auth = { authorization: basic(c.client_id, c.client_secret) };
    const token = (await h.token({ grant_type: 'client_credentials' }, auth)).json().access_token;
    const introspect = () =>
      h.inject({
        method: 'POST',
        url: '/oauth2/introspect',
        headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        payload: `token=${token}`,
      });
    h.clock.advance(29);
    assert.equal((await introspect()).json().active, true);
    h.clock.advance(1);
    assert.deepEqual((await introspect()).json(), { active: false });
  });
});

describe('token endpoint: the audience of a client registered without one', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('is `<issuer>/resources` in the JWT (RFC 9068 §2.2 requires aud) and at introspection, JWT and opaque alike', async () => {
    for (const format of ['jwt', 'opaque'] as const) {
      const c = await h.createClient({ scope: 'a', access_token_format: format });
      const r = await h.token(
        { grant_type: 'client_credentials' },
        { authorization: basic(c.client_id, c.client_secret) },
      );
      assert.equal(r.statusCode, 200, r.body);
      const token = r.json().access_token as string;
      if (format === 'jwt') assert.equal(decodeJwt(token).payload.aud, `${ISSUER}/resources`);
      const i = await h.inject({
        method: 'POST',
        url: '/oauth2/introspect',
        headers: {
          authorization: basic(c.client_id, c.client_secret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: `token=${token}`,
      });
      assert.equal(i.json().active, true);
      assert.equal(i.json().aud, `${ISSUER}/resources`);
    }
  });

  it('is TESSERA_DEFAULT_AUDIENCE when that is set', async () => {
    const other = await startHarness({}, { TESSERA_DEFAULT_AUDIENCE: 'https://api.example.com' });
    try {
      const c = await other.createClient({ scope: 'a' });
      const r = await other.token(
        { grant_type: 'client_credentials' },
        { authorization: basic(c.client_id, c.client_secret) },
      );
      assert.equal(decodeJwt(r.json().access_token).payload.aud, 'https://api.example.com');
    } finally {
      await other.close();
    }
  });
});

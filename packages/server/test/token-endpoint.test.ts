import assert from 'node:assert/strict';
import { connect } from 'node:net';
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
    const status = (payload.status as { status_list: { idx: unknown; uri: unknown } }).status_list;
    assert.ok(Number.isSafeInteger(status.idx));
    assert.match(String(status.uri), /^http:\/\/tessera\.test\/oauth2\/status-lists\//);
    assert.deepEqual(
      { ...payload, jti: 'x', status: 'x' },
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
        // draft-ietf-oauth-status-list (test/status-lists.test.ts).
        status: 'x',
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
      'status',
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
    assert.deepEqual(r.json(), { error: 'invalid_request', error_description: 'repeated parameter: scope' });
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
    assert.deepEqual(grant.json(), { error: 'invalid_request', error_description: 'repeated parameter: grant_type' });
    // Checked before the grant is looked up: a repeated unknown grant type is a malformed request too.
    const unknown = await h.token(
      { grant_type: ['password', 'password'] },
      { authorization: basic(task.client_id, task.client_secret) },
    );
    assert.deepEqual(unknown.json(), { error: 'invalid_request', error_description: 'repeated parameter: grant_type' });
    const secret = await h.token({
      grant_type: 'client_credentials',
      client_id: [task.client_id, task.client_id],
      client_secret: task.client_secret,
    });
    assert.deepEqual(secret.json(), { error: 'invalid_request', error_description: 'repeated parameter: client_id' });
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

  const json = (payload: string, authorization = basic(task.client_id, task.client_secret)) =>
    h.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { authorization, 'content-type': 'application/json' },
      payload,
    });

  it('takes scope, audience and resource as arrays in a JSON body, and no other parameter', async () => {
    const r = await json(
      JSON.stringify({
        grant_type: 'client_credentials',
        scope: ['event.view', 'file.view'],
        resource: ['event', 'file'],
      }),
    );
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().scope, 'event.view file.view');
    const { payload } = decodeJwt(r.json().access_token);
    assert.deepEqual(payload.aud, ['event', 'file']);
    assert.deepEqual(payload.scp, ['event.view', 'file.view']);
    const audience = await json('{"grant_type":"client_credentials","audience":["event"],"scope":["event.view"]}');
    assert.equal(audience.statusCode, 200, audience.body);
    assert.equal(decodeJwt(audience.json().access_token).payload.aud, 'event');
    for (const [body, description] of [
      ['{"grant_type":["client_credentials"]}', 'parameter must be a string: grant_type'],
      ['{"grant_type":"client_credentials","client_id":["a","b"]}', 'parameter must be a string: client_id'],
      [
        '{"grant_type":"client_credentials","scope":["a",1]}',
        'parameter must be a string or an array of strings: scope',
      ],
      [
        '{"grant_type":"client_credentials","audience":[["event"]]}',
        'parameter must be a string or an array of strings: audience',
      ],
      [
        '{"grant_type":"client_credentials","resource":{"a":"b"}}',
        'parameter must be a string or an array of strings: resource',
      ],
    ]) {
      const bad = await json(body as string);
      assert.equal(bad.statusCode, 400, body);
      assert.deepEqual(bad.json(), { error: 'invalid_request', error_description: description }, body);
    }
  });

  it('refuses a key written twice in a JSON body, whatever its spelling', async () => {
    for (const [body, name] of [
      ['{"grant_type":"password","grant_type":"client_credentials"}', 'grant_type'],
      ['{"grant_type":"client_credentials","grant\\u005ftype":"client_credentials"}', 'grant_type'],
      ['{"scope":"event.view","grant_type":"client_credentials","scope":"file.view"}', 'scope'],
      ['{"audience":"event","audience":["file"],"grant_type":"client_credentials"}', 'audience'],
      ['{"grant_type":"client_credentials", "x":"}{,\\"x\\":","x" : null}', 'x'],
    ]) {
      const r = await json(body as string);
      assert.equal(r.statusCode, 400, body);
      assert.deepEqual(r.json(), { error: 'invalid_request', error_description: `repeated parameter: ${name}` }, body);
    }
    // Keys inside strings and nested arrays are not top-level keys.
    const tricky = await json(
      '{ "grant_type" : "client_credentials", "x": "\\"grant_type\\": {[,", "audience": ["event", "grant_type"] }',
    );
    assert.equal(tricky.statusCode, 400);
    assert.deepEqual(tricky.json(), {
      error: 'invalid_target',
      error_description: 'audience not allowed for this client: grant_type',
    });
  });

  it('keeps error_description to the characters of RFC 6749 §5.2, whatever was echoed', async () => {
    const auth = { authorization: basic(task.client_id, task.client_secret) };
    const grant = await h.token({ grant_type: 'a"b\\c\nd\u0000e\u00e9\u{1F600}f' }, auth);
    assert.equal(grant.statusCode, 400);
    assert.deepEqual(grant.json(), {
      error: 'unsupported_grant_type',
      error_description: "grant_type a'b?c?d?e??f is not supported",
    });
    const scope = await h.token({ grant_type: 'client_credentials', scope: 'event.view x"y\\z\t\u{1F600}' }, auth);
    assert.equal(scope.statusCode, 400);
    assert.deepEqual(scope.json(), {
      error: 'invalid_scope',
      error_description: "scope not allowed for this client: x'y?z??",
    });
    const name = await h.token({ grant_type: 'client_credentials', 'a"\\\u{1F600}': ['1', '2'] }, auth);
    assert.deepEqual(name.json(), { error: 'invalid_request', error_description: "repeated parameter: a'??" });
    const allowed = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;
    for (const r of [grant, scope, name]) assert.match(r.json().error_description, allowed);
  });

  it('keeps admin API error descriptions to the same characters', async () => {
    const id = 'quote"back\\slash';
    assert.equal((await h.admin('POST', '/admin/clients', { client_id: id })).statusCode, 201);
    const again = await h.admin('POST', '/admin/clients', { client_id: id });
    assert.equal(again.statusCode, 409);
    // The id is not echoed at all: it may hold any VSCHAR, quotes and backslashes included.
    assert.deepEqual(again.json(), { error: 'conflict', error_description: 'this client_id is taken' });
    const missing = await h.admin('PATCH', `/admin/clients/${encodeURIComponent('new\nline"\u{1F600}')}`, {
      scope: 'a',
    });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { error: 'not_found', error_description: 'no such client' });
    const format = await h.admin('POST', '/admin/clients', { access_token_format: 'x' });
    assert.equal(format.statusCode, 400);
    assert.match(format.json().error_description, /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/);
  });

  it('refuses two Authorization headers on the token, introspection and revocation endpoints', async () => {
    const port = Number(new URL(await h.tessera.app.listen({ port: 0, host: '127.0.0.1' })).port);
    const good = basic(task.client_id, task.client_secret);
    const token = (await h.token({ grant_type: 'client_credentials' }, { authorization: good })).json().access_token;
    for (const [path, body] of [
      ['/oauth2/token', 'grant_type=client_credentials'],
      ['/oauth2/introspect', `token=${token}`],
      ['/oauth2/revoke', `token=${token}`],
    ] as const) {
      for (const second of [basic('someone-else', 'x'.repeat(32)), good]) {
        const r = await rawPost(port, path, [`Authorization: ${good}`, `authorization: ${second}`], body);
        assert.equal(r.status, 400, `${path}: ${r.body}`);
        assert.deepEqual(JSON.parse(r.body), {
          error: 'invalid_request',
          error_description: 'more than one Authorization header',
        });
      }
      const one = await rawPost(port, path, [`Authorization: ${good}`], body);
      assert.equal(one.status, 200, `${path}: ${one.body}`);
    }
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
/** A request written byte for byte: fetch and node:http would merge or refuse a repeated header. */
function rawPost(
  port: number,
  path: string,
  headers: string[],
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      answer += d;
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', rest = ''] = answer.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: rest });
    });
    socket.end(
      [
        `POST ${path} HTTP/1.1`,
        'Host: tessera.test',
        'Connection: close',
        'Content-Type: application/x-www-form-urlencoded',
        `Content-Length: ${Buffer.byteLength(body)}`,
        ...headers,
        '',
        body,
      ].join('\r\n'),
    );
  });
}

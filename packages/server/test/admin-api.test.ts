import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, basic, decodeJwt, type Harness, startHarness, tokenWithSecretJwt } from './harness.js';

describe('admin API', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('requires the admin key on every call (401, constant answer)', async () => {
    for (const authorization of [undefined, 'Bearer wrong-key-wrong-key', `Basic ${ADMIN_KEY}`, 'Bearer ']) {
      const r = await h.inject({
        method: 'GET',
        url: '/admin/clients',
        headers: authorization ? { authorization } : {},
      });
      assert.equal(r.statusCode, 401, String(authorization));
      assert.match(String(r.headers['www-authenticate']), /^Bearer realm="tessera-admin"/);
      assert.deepEqual(r.json(), { error: 'invalid_token', error_description: 'a valid admin key is required' });
    }
    const post = await h.inject({ method: 'POST', url: '/admin/keys/rotate' });
    assert.equal(post.statusCode, 401);
  });

  it('registers a client with defaults and shows the secret once', async () => {
    const r = await h.admin('POST', '/admin/clients', {});
    assert.equal(r.statusCode, 201);
    assert.equal(r.headers['cache-control'], 'no-store');
    const c = r.json();
    assert.match(c.client_id, /^[0-9a-f-]{36}$/);
    assert.match(c.client_secret, /^tessera_cs_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(
      { ...c, client_id: 'x', client_secret: 'x', client_id_issued_at: 0, updated_at: 0 },
      {
        client_id: 'x',
        client_secret: 'x',
        client_secret_expires_at: 0,
        scope: '',
        audience: [],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        access_token_ttl: 3600,
        access_token_format: 'jwt',
        claims: {},
        client_id_issued_at: 0,
        updated_at: 0,
      },
    );
    const got = await h.admin('GET', `/admin/clients/${c.client_id}`);
    assert.equal(got.statusCode, 200);
    assert.equal(got.json().client_secret, undefined);
    assert.ok(!got.body.includes(c.client_secret));
    assert.ok(!got.body.includes('hmac'), 'no hash is shown either');
  });

  it('accepts a chosen client_id and refuses a taken one with 409', async () => {
    const first = await h.admin('POST', '/admin/clients', { client_id: 'calendar-rs', client_name: 'Calendar' });
    assert.equal(first.statusCode, 201);
    assert.equal(first.json().client_id, 'calendar-rs');
    const again = await h.admin('POST', '/admin/clients', { client_id: 'calendar-rs' });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error, 'conflict');
  });

  it('takes any VSCHAR client_id, space included: admin routes URL-encoded, tokens through Basic and post', async () => {
    const c = await h.createClient({ client_id: 'my service', scope: 'a' });
    assert.equal(c.client_id, 'my service');
    const got = await h.admin('GET', '/admin/clients/my%20service');
    assert.equal(got.statusCode, 200);
    assert.equal(got.json().client_id, 'my service');
    const patched = await h.admin('PATCH', '/admin/clients/my%20service', { scope: 'a b' });
    assert.equal(patched.statusCode, 200);
    // RFC 6749 §2.3.1: the id is form-encoded before base64, so the space travels as `+` (or %20).
    const viaPlus = `Basic ${Buffer.from(`my+service:${c.client_secret}`).toString('base64')}`;
    const viaPercent = `Basic ${Buffer.from(`my%20service:${c.client_secret}`).toString('base64')}`;
    for (const authorization of [viaPlus, viaPercent, basic('my service', c.client_secret)]) {
      const t = await h.token({ grant_type: 'client_credentials', scope: 'b' }, { authorization });
      assert.equal(t.statusCode, 200, authorization);
      assert.equal(decodeJwt(t.json().access_token).payload.client_id, 'my service');
    }
    const post = await h.token({
      grant_type: 'client_credentials',
      client_id: 'my service',
      client_secret: c.client_secret,
    });
    assert.equal(post.statusCode, 200);
    const rotated = await h.admin('POST', '/admin/clients/my%20service/secrets');
    assert.equal(rotated.statusCode, 201);
    assert.equal((await h.admin('DELETE', '/admin/clients/my%20service')).statusCode, 204);
    assert.equal((await h.admin('GET', '/admin/clients/my%20service')).statusCode, 404);
  });

  it('never echoes an id with quotes or backslashes in an error_description (RFC 6749 §5.2)', async () => {
    const quoted = 'say "hi" \\o/';
    await h.createClient({ client_id: quoted });
    const taken = await h.admin('POST', '/admin/clients', { client_id: quoted });
    assert.deepEqual(taken.json(), { error: 'conflict', error_description: 'this client_id is taken' });
    const missing = await h.admin('GET', `/admin/clients/${encodeURIComponent('no "such" one')}`);
    assert.deepEqual(missing.json(), { error: 'not_found', error_description: 'no such client' });
    const scope = await h.admin('POST', '/admin/clients', { scope: 'a\\b "c"' });
    assert.equal(scope.statusCode, 400);
    assert.doesNotMatch(scope.json().error_description, /["\\]/);
  });

  it('refuses bad metadata with invalid_client_metadata and changes nothing', async () => {
    const bad: Record<string, unknown>[] = [
      { scope: 42 },
      { scope: 'ok "quoted"' },
      { audience: 'event' },
      { audience: [1] },
      { grant_types: ['authorization_code'] },
      { token_endpoint_auth_method: 'none' },
      { access_token_ttl: 0 },
      { access_token_ttl: 1.5 },
      { access_token_ttl: '3600' },
      { access_token_format: 'paseto' },
      { claims: { iss: 'me' } },
      { claims: { scp: ['x'] } },
      { claims: 'x' },
      { token_endpoint_auth_method: 'private_key_jwt' },
      { jwks: { keys: [{ kty: 'oct', k: 'AAAA' }] }, token_endpoint_auth_method: 'private_key_jwt' },
      { jwks_uri: 'http://example.com/jwks', token_endpoint_auth_method: 'private_key_jwt' },
      { client_id: 'tab\there' },
      { client_id: 'caf\u00e9' },
      { client_id: '' },
      { client_id: 'x'.repeat(129) },
      { client_secret: 'short' },
    ];
    const before = (await h.admin('GET', '/admin/clients?limit=200')).json().items.length;
    for (const body of bad) {
      const r = await h.admin('POST', '/admin/clients', body);
      assert.equal(r.statusCode, 400, JSON.stringify(body));
      assert.equal(r.json().error, 'invalid_client_metadata', JSON.stringify(body));
      assert.equal(typeof r.json().error_description, 'string');
    }
    for (const payload of ['{"scope": ', '[]', '"x"', '{"__proto__": {"scope": "admin"}}']) {
      const r = await h.inject({
        method: 'POST',
        url: '/admin/clients',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        payload,
      });
      assert.equal(r.statusCode, 400, payload);
      assert.equal(r.json().error, 'invalid_client_metadata', payload);
    }
    const text = await h.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'text/plain' },
      payload: 'scope=a',
    });
    assert.equal(text.statusCode, 400);
    assert.equal((await h.admin('GET', '/admin/clients?limit=200')).json().items.length, before);
  });

  it('imports a secret only with real entropy, not just length', async () => {
    for (const weak of ['a'.repeat(32), 'abc'.repeat(11), '0123456789'.repeat(4)]) {
      const r = await h.admin('POST', '/admin/clients', { client_secret: weak });
      assert.equal(r.statusCode, 400, weak);
      assert.equal(r.json().error, 'invalid_client_metadata');
      assert.match(r.json().error_description, /^client_secret: too predictable \(about \d+ bits estimated/);
    }
    // What `openssl rand -base64 24` prints: 32 characters, 192 random bits.
    const strong = randomBytes(24).toString('base64');
    const c = await h.createClient({ client_id: 'imported', client_secret: strong, scope: 'a' });
    assert.equal(c.client_secret, strong);
    const t = await h.token({ grant_type: 'client_credentials' }, { authorization: basic('imported', strong) });
    assert.equal(t.statusCode, 200);
  });

  it('refuses RSA client keys under 2048 bits; EC, OKP and 2048-bit RSA keys are taken', async () => {
    const jwkOf = (kind: 'rsa' | 'ec' | 'ed25519', opts: object) =>
      generateKeyPairSync(kind as 'rsa', opts as { modulusLength: number }).publicKey.export({ format: 'jwk' });
    const register = (jwk: object) =>
      h.admin('POST', '/admin/clients', { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
    const weak = await register(jwkOf('rsa', { modulusLength: 1024 }));
    assert.equal(weak.statusCode, 400);
    assert.deepEqual(weak.json(), {
      error: 'invalid_client_metadata',
      error_description: 'jwks: RSA keys must have at least 2048 bits',
    });
    for (const jwk of [
      jwkOf('rsa', { modulusLength: 2048 }),
      jwkOf('ec', { namedCurve: 'P-256' }),
      jwkOf('ed25519', {}),
    ]) {
      assert.equal((await register(jwk)).statusCode, 201, String(jwk.kty));
    }
    // A PATCH cannot bring a weak key in either.
    const c = await h.createClient({ scope: 'a' });
    const patched = await h.admin('PATCH', `/admin/clients/${c.client_id}`, {
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwkOf('rsa', { modulusLength: 1024 })] },
    });
    assert.equal(patched.statusCode, 400);
  });

  it('ignores metadata it does not understand (RFC 7591 §2)', async () => {
    const r = await h.admin('POST', '/admin/clients', { scope: 'a', logo_uri: 'https://x/logo.png' });
    assert.equal(r.statusCode, 201);
    assert.equal(r.json().logo_uri, undefined);
  });

  it('pages with opaque cursors', async () => {
    const ids = ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'];
    for (const id of ids) await h.createClient({ client_id: id });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/admin/clients?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await h.admin('GET', url)).json();
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((c: { client_id: string }) => c.client_id));
      for (const item of page.items) assert.equal(item.client_secret, undefined);
      cursor = page.next_cursor;
      if (cursor) assert.ok(!cursor.includes('page-'), 'cursor is opaque');
    } while (cursor);
    for (const id of ids) assert.ok(seen.includes(id));
    assert.deepEqual(seen, [...seen].sort());
    assert.equal(new Set(seen).size, seen.length);
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'cursor=%%%']) {
      const r = await h.admin('GET', `/admin/clients?${q}`);
      assert.equal(r.statusCode, 400, q);
    }
  });

  it('PATCH changes metadata and takes effect for the next token', async () => {
    const c = await h.createClient({ scope: 'a b', audience: ['x'] });
    const auth = { authorization: basic(c.client_id, c.client_secret) };
    assert.equal((await h.token({ grant_type: 'client_credentials', scope: 'c' }, auth)).statusCode, 400);
    const p = await h.admin('PATCH', `/admin/clients/${c.client_id}`, { scope: 'a b c', access_token_ttl: 120 });
    assert.equal(p.statusCode, 200);
    assert.equal(p.json().scope, 'a b c');
    assert.equal(p.json().audience[0], 'x');
    assert.equal(p.json().client_secret, undefined);
    const t = await h.token({ grant_type: 'client_credentials', scope: 'c' }, auth);
    assert.equal(t.statusCode, 200);
    assert.equal(t.json().expires_in, 120);
    const bad = await h.admin('PATCH', `/admin/clients/${c.client_id}`, { access_token_ttl: -1 });
    assert.equal(bad.statusCode, 400);
    assert.equal((await h.admin('GET', `/admin/clients/${c.client_id}`)).json().access_token_ttl, 120);
    assert.equal((await h.admin('PATCH', '/admin/clients/nope', { scope: 'a' })).statusCode, 404);
  });

  it('leaving the secret methods deletes the secrets; coming back issues a new one, shown once', async () => {
    const c = await h.createClient({ scope: 'a' });
    const tokenWith = (secret: string) =>
      h.token({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, secret) });
    assert.equal((await tokenWith(c.client_secret)).statusCode, 200);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const toKeys = await h.admin('PATCH', `/admin/clients/${c.client_id}`, {
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [publicKey.export({ format: 'jwk' })] },
    });
    assert.equal(toKeys.statusCode, 200);
    assert.equal(toKeys.json().client_secret, undefined);
    assert.deepEqual((await h.tessera.ctx.store.getClient(c.client_id))?.secrets, [], 'deleted, not just unused');

    const back = await h.admin('PATCH', `/admin/clients/${c.client_id}`, {
      token_endpoint_auth_method: 'client_secret_basic',
    });
    assert.equal(back.statusCode, 200);
    const fresh = back.json().client_secret as string;
    assert.match(fresh, /^tessera_cs_/);
    assert.notEqual(fresh, c.client_secret);
    assert.equal(back.json().client_secret_expires_at, 0);
    assert.equal(back.json().jwks, undefined);
    assert.equal((await tokenWith(c.client_secret)).statusCode, 401, 'the old secret stays dead');
    assert.equal((await tokenWith(fresh)).statusCode, 200);
    const post = await h.token({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: fresh });
    assert.equal(post.statusCode, 200);
    const again = await h.admin('GET', `/admin/clients/${c.client_id}`);
    assert.equal(again.json().client_secret, undefined, 'shown once');
  });

  it('leaving client_secret_jwt keeps the secret but drops its recoverable copy; coming back issues a new one', async () => {
    const c = await h.createClient({ scope: 'a', token_endpoint_auth_method: 'client_secret_jwt' });
    const sealed = (await h.tessera.ctx.store.getClient(c.client_id))?.secrets.map((s) => s.sealed !== null);
    assert.deepEqual(sealed, [true], 'client_secret_jwt needs the secret itself: sealed');
    const toBasic = await h.admin('PATCH', `/admin/clients/${c.client_id}`, {
      token_endpoint_auth_method: 'client_secret_basic',
    });
    assert.equal(toBasic.statusCode, 200);
    assert.equal(toBasic.json().client_secret, undefined, 'the same secret goes on working');
    const secrets = (await h.tessera.ctx.store.getClient(c.client_id))?.secrets ?? [];
    assert.deepEqual(
      secrets.map((s) => s.sealed),
      [null],
      'no recoverable copy is kept',
    );
    const token = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(c.client_id, c.client_secret) },
    );
    assert.equal(token.statusCode, 200);
    // Back to client_secret_jwt, the HMAC key must be recoverable again: a new secret, shown once.
    const back = await h.admin('PATCH', `/admin/clients/${c.client_id}`, {
      token_endpoint_auth_method: 'client_secret_jwt',
    });
    assert.match(back.json().client_secret, /^tessera_cs_/);
    assert.equal(
      (await tokenWithSecretJwt(h, { client_id: c.client_id, client_secret: back.json().client_secret })).statusCode,
      200,
    );
  });

  it('DELETE removes the client: 204, then 404, no more tokens', async () => {
    const c = await h.createClient({ scope: 'a' });
    const auth = { authorization: basic(c.client_id, c.client_secret) };
    assert.equal((await h.token({ grant_type: 'client_credentials' }, auth)).statusCode, 200);
    const d = await h.admin('DELETE', `/admin/clients/${c.client_id}`);
    assert.equal(d.statusCode, 204);
    assert.equal(d.body, '');
    assert.equal((await h.admin('GET', `/admin/clients/${c.client_id}`)).statusCode, 404);
    assert.equal((await h.admin('DELETE', `/admin/clients/${c.client_id}`)).statusCode, 404);
    assert.equal((await h.token({ grant_type: 'client_credentials' }, auth)).statusCode, 401);
  });

  it('rotates a secret with a grace period, to the second', async () => {
    const c = await h.createClient({ scope: 'a' });
    const r = await h.admin('POST', `/admin/clients/${c.client_id}/secrets`, { previous_secret_ttl: 60 });
    assert.equal(r.statusCode, 201);
    const next = r.json().client_secret as string;
    assert.match(next, /^tessera_cs_/);
    assert.notEqual(next, c.client_secret);
    const tokenWith = (secret: string) =>
      h.token({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, secret) });
    assert.equal((await tokenWith(c.client_secret)).statusCode, 200);
    assert.equal((await tokenWith(next)).statusCode, 200);
    h.clock.advance(59);
    assert.equal((await tokenWith(c.client_secret)).statusCode, 200);
    h.clock.advance(1);
    assert.equal((await tokenWith(c.client_secret)).statusCode, 401);
    assert.equal((await tokenWith(next)).statusCode, 200);
  });

  it('rotates a secret with no grace by default', async () => {
    const c = await h.createClient({ scope: 'a' });
    const r = await h.admin('POST', `/admin/clients/${c.client_id}/secrets`);
    assert.equal(r.statusCode, 201);
    const old = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(c.client_id, c.client_secret) },
    );
    assert.equal(old.statusCode, 401);
    for (const body of [{ previous_secret_ttl: -1 }, { previous_secret_ttl: 'x' }, { previous_secret_ttl: 1.5 }]) {
      assert.equal((await h.admin('POST', `/admin/clients/${c.client_id}/secrets`, body)).statusCode, 400);
    }
    assert.equal((await h.admin('POST', '/admin/clients/nope/secrets', {})).statusCode, 404);
  });

  it('rotates the signing key: new tokens use it, the old key stays published', async () => {
    const c = await h.createClient({ scope: 'a', access_token_ttl: 300 });
    const auth = { authorization: basic(c.client_id, c.client_secret) };
    const before = decodeJwt((await h.token({ grant_type: 'client_credentials' }, auth)).json().access_token);
    const r = await h.admin('POST', '/admin/keys/rotate');
    assert.equal(r.statusCode, 201);
    const jwk = r.json();
    assert.equal(jwk.use, 'sig');
    assert.equal(jwk.alg, 'RS256');
    assert.equal(jwk.d, undefined);
    assert.notEqual(jwk.kid, before.header.kid);
    const afterToken = decodeJwt((await h.token({ grant_type: 'client_credentials' }, auth)).json().access_token);
    assert.equal(afterToken.header.kid, jwk.kid);
    const kids = () =>
      h
        .inject({ method: 'GET', url: '/.well-known/jwks.json' })
        .then((res) => res.json().keys.map((k: { kid: string }) => k.kid));
    assert.ok((await kids()).includes(before.header.kid));
    assert.ok((await kids()).includes(jwk.kid));
    // The old key leaves once every token it signed has expired (the longest
    // ttl of any client: 3600 s here, from other tests' clients).
    h.clock.advance(3602);
    assert.deepEqual(await kids(), [jwk.kid]);
  });

  it('writes one audit line per admin change: what, on what, who, from where, never a secret', async () => {
    const before = h.logs.length;
    const c = await h.createClient({ client_id: 'audited', scope: 'a' });
    await h.admin('PATCH', '/admin/clients/audited', { scope: 'a b' });
    const rotated = (await h.admin('POST', '/admin/clients/audited/secrets', { previous_secret_ttl: 5 })).json();
    await h.admin('POST', '/admin/keys/rotate');
    await h.admin('DELETE', '/admin/clients/audited');
    const lines = h.logs.slice(before).map((l) => JSON.parse(l));
    const audit = lines
      .filter((l) => l.audit)
      .map((l) => ({ audit: l.audit, actor: l.actor, ip: l.ip, id: l.client_id ?? (l.kid ? 'kid' : undefined) }));
    assert.deepEqual(audit, [
      { audit: 'client.create', actor: 'admin', ip: '127.0.0.1', id: 'audited' },
      { audit: 'client.update', actor: 'admin', ip: '127.0.0.1', id: 'audited' },
      { audit: 'client.rotate_secret', actor: 'admin', ip: '127.0.0.1', id: 'audited' },
      { audit: 'keys.rotate', actor: 'admin', ip: '127.0.0.1', id: 'kid' },
      { audit: 'client.delete', actor: 'admin', ip: '127.0.0.1', id: 'audited' },
    ]);
    assert.deepEqual(lines.find((l) => l.audit === 'client.update')?.fields, ['scope']);
    const text = h.logs.slice(before).join('');
    for (const secret of [c.client_secret, rotated.client_secret, ADMIN_KEY]) assert.ok(!text.includes(secret));
    for (const l of lines.filter((x) => x.audit)) assert.equal(typeof l.time, 'number');
  });
});

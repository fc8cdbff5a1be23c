import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic, type Harness, ISSUER, startHarness } from './harness.js';

describe('introspection (RFC 7662) and revocation (RFC 7009)', () => {
  let h: Harness;
  let task: { client_id: string; client_secret: string };
  let calendar: { client_id: string; client_secret: string };

  const post = (url: string, payload: string, c: { client_id: string; client_secret: string }) =>
    h.inject({
      method: 'POST',
      url,
      headers: {
        authorization: basic(c.client_id, c.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload,
    });
  const introspect = (token: string, as = calendar) =>
    post('/oauth2/introspect', `token=${encodeURIComponent(token)}`, as);
  const revoke = (token: string, as = task) => post('/oauth2/revoke', `token=${encodeURIComponent(token)}`, as);
  const tokenFor = async (c: { client_id: string; client_secret: string }) =>
    (
      await h.token(
        { grant_type: 'client_credentials', audience: 'event' },
        { authorization: basic(c.client_id, c.client_secret) },
      )
    ).json().access_token as string;

  before(async () => {
    h = await startHarness();
    task = await h.createClient({ scope: 'event.view event.create', audience: ['event'] });
    // The Calendar Service is a resource server: a client with no grant of its own.
    calendar = await h.createClient({ client_id: 'calendar', grant_types: [] });
  });
  after(() => h.close());

  it('reports an active JWT with every claim the contract lists', async () => {
    const token = await tokenFor(task);
    const r = await introspect(token);
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['cache-control'], 'no-store');
    const now = Math.floor(h.clock.ms / 1000);
    const body = r.json();
    assert.deepEqual(
      { ...body, jti: 'x' },
      {
        active: true,
        scope: 'event.view event.create',
        client_id: task.client_id,
        sub: task.client_id,
        aud: 'event',
        iss: ISSUER,
        exp: now + 3600,
        iat: now,
        nbf: now,
        jti: 'x',
        token_type: 'Bearer',
      },
    );
  });

  it('reports an active opaque token, stored only as a hash', async () => {
    const c = await h.createClient({ scope: 'a', audience: ['event'], access_token_format: 'opaque' });
    const token = await tokenFor(c);
    // The prefix, a 16-byte id (a UUIDv7: the jti), then the 32-byte secret.
    assert.match(token, /^tessera_at_[A-Za-z0-9_-]{22}[A-Za-z0-9_-]{43}$/);
    const body = (await introspect(token)).json();
    assert.equal(body.active, true);
    assert.equal(body.client_id, c.client_id);
    assert.equal(body.aud, 'event');
    assert.equal(body.scope, 'a');
    assert.equal(body.token_type, 'Bearer');
    assert.match(body.jti, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const stored = await h.tessera.ctx.store.getOpaqueToken(body.jti);
    assert.ok(stored);
    assert.ok(!JSON.stringify(stored).includes(token.slice(-43)));
  });

  it('an opaque token whose secret or id was changed is inactive', async () => {
    const c = await h.createClient({ scope: 'a', audience: ['event'], access_token_format: 'opaque' });
    const token = await tokenFor(c);
    const flip = (i: number) => token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
    // The last secret character, the id's last character (the row is not found)…
    for (const changed of [flip(token.length - 2), flip(32), token.slice(0, -1), `${token}A`]) {
      assert.deepEqual((await introspect(changed)).json(), { active: false });
    }
    // …and an id spelled with characters outside base64url (Node's decoder would skip them).
    assert.deepEqual((await introspect(`${token.slice(0, 12)}.${token.slice(13)}`)).json(), { active: false });
    assert.equal((await introspect(token)).json().active, true);
  });

  it('a token issued before tokens carried ids still introspects and revokes', async () => {
    const c = await h.createClient({ scope: 'a', audience: ['event'], access_token_format: 'opaque' });
    const legacy = `tessera_at_${'L'.repeat(43)}`;
    const digest = h.tessera.ctx.tokenHasher.digest(legacy);
    const now = Math.floor(Date.now() / 1000);
    await h.tessera.ctx.store.insertOpaqueToken({
      id: `h:${digest}`,
      hash: digest,
      clientId: c.client_id,
      jti: 'legacy-jti',
      scope: 'a',
      audience: ['event'],
      iat: now,
      exp: now + 60,
    });
    const body = (await introspect(legacy)).json();
    assert.equal(body.active, true);
    assert.equal(body.jti, 'legacy-jti');
    assert.equal((await revoke(legacy, c)).statusCode, 200);
    assert.deepEqual((await introspect(legacy)).json(), { active: false });
    assert.equal(await h.tessera.ctx.store.getOpaqueToken(`h:${digest}`), undefined);
  });

  it('answers exactly {"active": false} for anything not valid', async () => {
    const token = await tokenFor(task);
    // Its signature is now remembered (tokens/verified-jwts.ts): a forgery reusing it must still fail.
    assert.equal((await introspect(token)).json().active, true);
    const [h64, p64, s64] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p64, 'base64url').toString());
    const forged = `${h64}.${Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url')}.${s64}`;
    const none = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${p64}.`;
    for (const t of ['garbage', forged, none, `${token}x`, 'tessera_at_unknown', 'a.b.c', 'eyJ.eyJ.x']) {
      const r = await introspect(t);
      assert.equal(r.statusCode, 200);
      assert.deepEqual(r.json(), { active: false }, t);
    }
  });

  it('answers {"active": false} to a JWT not written in canonical base64url, which Node would decode alike', async () => {
    const token = await tokenFor(task);
    assert.equal((await introspect(token)).json().active, true);
    const [h64, p64, s64] = token.split('.') as [string, string, string];
    // RS256: 256 bytes are 342 characters, the last with 4 unused bits.
    assert.equal(s64.length % 4, 2);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const unusedBitSet = alphabet[alphabet.indexOf(s64.at(-1) as string) ^ 1];
    const at = (s: string, i: number, c: string) => `${s.slice(0, i)}${c}${s.slice(i)}`;
    const variants = {
      'a stray character': at(s64, 100, '!'),
      'a space': at(s64, 100, ' '),
      'a newline': at(s64, 100, '\n'),
      'a non-ASCII character': at(s64, 100, '\u00e9'),
      padding: `${s64}==`,
      'the base64 alphabet': s64.replace(/[-_]/, (c) => (c === '-' ? '+' : '/')),
      'an unused bit set': `${s64.slice(0, -1)}${unusedBitSet}`,
    };
    for (const [name, s] of Object.entries(variants)) {
      assert.deepEqual(Buffer.from(s, 'base64url'), Buffer.from(s64, 'base64url'), `${name} decodes alike`);
      const r = await introspect(`${h64}.${p64}.${s}`);
      assert.equal(r.statusCode, 200);
      assert.deepEqual(r.json(), { active: false }, name);
    }
    for (const t of [`${at(h64, 4, '=')}.${p64}.${s64}`, `${h64}.${at(p64, 8, ' ')}.${s64}`]) {
      assert.deepEqual((await introspect(t)).json(), { active: false }, t);
    }
    assert.equal((await introspect(token)).json().active, true);
  });

  it('treats token_type_hint as a hint only', async () => {
    const token = await tokenFor(task);
    const r = await post('/oauth2/introspect', `token=${token}&token_type_hint=refresh_token`, calendar);
    assert.equal(r.json().active, true);
  });

  it('requires client authentication and a token', async () => {
    const token = await tokenFor(task);
    const anon = await h.inject({
      method: 'POST',
      url: '/oauth2/introspect',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${token}`,
    });
    assert.equal(anon.statusCode, 401);
    assert.equal(anon.json().error, 'invalid_client');
    const missing = await post('/oauth2/introspect', '', calendar);
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(missing.json(), { error: 'invalid_request', error_description: 'token is required' });
    assert.equal((await h.inject({ method: 'GET', url: '/oauth2/introspect' })).statusCode, 405);
  });

  it('revokes a JWT: inactive at once, 200 again for repeats and unknown tokens', async () => {
    const token = await tokenFor(task);
    assert.equal((await introspect(token)).json().active, true);
    const r = await revoke(token);
    assert.equal(r.statusCode, 200);
    assert.deepEqual((await introspect(token)).json(), { active: false });
    assert.equal((await revoke(token)).statusCode, 200);
    assert.equal((await revoke('never-issued')).statusCode, 200);
  });

  it('revokes an opaque token by deleting it', async () => {
    const c = await h.createClient({ scope: 'a', audience: ['event'], access_token_format: 'opaque' });
    const token = await tokenFor(c);
    const { jti } = (await introspect(token)).json();
    assert.ok(await h.tessera.ctx.store.getOpaqueToken(jti));
    assert.equal((await revoke(token, c)).statusCode, 200);
    assert.deepEqual((await introspect(token)).json(), { active: false });
    assert.equal(await h.tessera.ctx.store.getOpaqueToken(jti), undefined);
  });

  it('refuses to revoke another client’s token, which stays active', async () => {
    const token = await tokenFor(task);
    const r = await revoke(token, calendar);
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error, 'unauthorized_client');
    assert.equal((await introspect(token)).json().active, true);
  });

  for (const format of ['jwt', 'opaque'] as const) {
    it(`deleting a client makes its ${format} tokens inactive, and recreating the id does not revive them`, async () => {
      const meta = { client_id: `short-lived-${format}`, scope: 'a', audience: ['event'], access_token_format: format };
      const token = await tokenFor(await h.createClient(meta));
      assert.equal((await introspect(token)).json().active, true);
      assert.equal((await h.admin('DELETE', `/admin/clients/${meta.client_id}`)).statusCode, 204);
      assert.deepEqual((await introspect(token)).json(), { active: false });
      h.clock.advance(1);
      await h.createClient(meta);
      assert.deepEqual((await introspect(token)).json(), { active: false });
    });

    it(`a client deleted and re-created within the second its ${format} token was issued in does not revive it`, async () => {
      const meta = { client_id: `same-second-${format}`, scope: 'a', audience: ['event'], access_token_format: format };
      const secondStart = Math.floor(h.clock.ms / 1000) * 1000;
      h.clock.ms = secondStart + 100;
      const token = await tokenFor(await h.createClient(meta));
      h.clock.ms = secondStart + 101;
      assert.equal((await h.admin('DELETE', `/admin/clients/${meta.client_id}`)).statusCode, 204);
      const again = await h.createClient(meta);
      assert.deepEqual((await introspect(token)).json(), { active: false });
      // The new client's own token, a millisecond later in the same second, is active.
      h.clock.ms = secondStart + 102;
      const fresh = await tokenFor(again);
      assert.equal((await introspect(fresh)).json().active, true);
      assert.equal(Math.floor(h.clock.ms / 1000), secondStart / 1000, 'all within one second');
    });
  }

  it('a JWT carries a UUIDv7 jti, stamped with the millisecond it was issued at', async () => {
    h.clock.ms += 7;
    const r = await h.token(
      { grant_type: 'client_credentials', audience: 'event' },
      { authorization: basic(task.client_id, task.client_secret) },
    );
    const claims = JSON.parse(Buffer.from(r.json().access_token.split('.')[1], 'base64url').toString());
    assert.match(claims.jti, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(Number.parseInt(claims.jti.slice(0, 8) + claims.jti.slice(9, 13), 16), h.clock.ms);
  });

  it('keeps the revocation denylist only until the token expires', async () => {
    const c = await h.createClient({ scope: 'a', audience: ['event'], access_token_ttl: 10 });
    const token = await tokenFor(c);
    await revoke(token, c);
    h.clock.advance(11);
    const purged = await h.tessera.ctx.store.purgeExpired(h.clock.ms);
    assert.ok(purged >= 1);
    assert.deepEqual((await introspect(token)).json(), { active: false });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { CONSOLE_CSP } from '../src/console/console-static.js';
import { ADMIN_KEY, type Harness, ISSUER, startHarness } from './harness.js';

const CONSOLE = { 'x-tessera-console': '1' };

function cookieOf(r: LightMyRequestResponse): string {
  const set = r.headers['set-cookie'];
  assert.equal(typeof set, 'string', 'one Set-Cookie');
  return set as string;
}

async function signIn(h: Harness, headers: Record<string, string> = {}): Promise<string> {
  const r = await h.inject({
    method: 'POST',
    url: '/admin/session',
    headers: { ...CONSOLE, ...headers },
    payload: { admin_key: ADMIN_KEY },
  });
  assert.equal(r.statusCode, 200, r.body);
  const value = /^tessera_console=([A-Za-z0-9_-]{43});/.exec(cookieOf(r))?.[1];
  assert.ok(value);
  return `tessera_console=${value}`;
}

describe('console sessions', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('refuses a wrong or missing admin key without a cookie, with the admin API’s answer', async () => {
    for (const payload of [{ admin_key: 'wrong-key-wrong-key-wrong' }, { admin_key: `${ADMIN_KEY} x` }]) {
      const r = await h.inject({ method: 'POST', url: '/admin/session', headers: CONSOLE, payload });
      assert.equal(r.statusCode, 401);
      assert.equal(r.headers['set-cookie'], undefined);
      assert.deepEqual(r.json(), { error: 'invalid_token', error_description: 'a valid admin key is required' });
    }
    const empty = await h.inject({ method: 'POST', url: '/admin/session', headers: CONSOLE, payload: {} });
    assert.equal(empty.statusCode, 400);
    assert.equal(empty.json().error, 'invalid_request');
    const bad = await h.inject({
      method: 'POST',
      url: '/admin/session',
      headers: { ...CONSOLE, 'content-type': 'application/json' },
      payload: '{"admin_key":',
    });
    assert.equal(bad.statusCode, 400);
  });

  it('exchanges the key for an HttpOnly, SameSite=Strict cookie scoped to /admin, which the admin API accepts', async () => {
    const r = await h.inject({
      method: 'POST',
      url: '/admin/session',
      headers: CONSOLE,
      payload: { admin_key: ADMIN_KEY },
    });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['cache-control'], 'no-store');
    const set = cookieOf(r);
    assert.match(set, /^tessera_console=[A-Za-z0-9_-]{43}; Path=\/admin; HttpOnly; SameSite=Strict$/);
    assert.ok(!set.includes(ADMIN_KEY));
    const body = r.json();
    assert.match(body.actor, /^console:[0-9a-f]{12}$/);
    assert.equal(Date.parse(body.idle_expires_at), h.clock.ms + 30 * 60_000);
    assert.equal(Date.parse(body.expires_at), h.clock.ms + 8 * 3600_000);

    const cookie = set.split(';')[0] as string;
    const list = await h.inject({ method: 'GET', url: '/admin/clients', headers: { cookie } });
    assert.equal(list.statusCode, 200);
    const who = await h.inject({ method: 'GET', url: '/admin/session', headers: { cookie } });
    assert.equal(who.json().actor, body.actor);
    // The audit line names the session, never the cookie.
    const created = await h.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: { cookie, ...CONSOLE, origin: ISSUER },
      payload: { client_id: 'from-console' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const log = await h.admin('GET', '/admin/audit?limit=1');
    assert.deepEqual(
      log.json().items.map((e: Record<string, unknown>) => [e.action, e.target, e.actor]),
      [['client.create', 'from-console', body.actor]],
    );
    // The log line names it too.
    const line = h.logs.find((l) => l.includes('"audit":"client.create"'));
    assert.equal(JSON.parse(line ?? '{}').actor, body.actor);
    assert.ok(!h.logs.some((l) => l.includes(cookie.split('=')[1] as string)), 'the session id is never logged');
  });

  it('sets Secure when the issuer is https', async () => {
    const s = await startHarness({}, { TESSERA_ISSUER: 'https://tessera.test' });
    try {
      const r = await s.inject({
        method: 'POST',
        url: '/admin/session',
        headers: CONSOLE,
        payload: { admin_key: ADMIN_KEY },
      });
      assert.match(cookieOf(r), /; HttpOnly; SameSite=Strict; Secure$/);
    } finally {
      await s.close();
    }
  });

  it('refuses cross-site writes with a cookie: no console header, a foreign Origin, or Sec-Fetch-Site cross-site', async () => {
    const cookie = await signIn(h);
    const attempts: Record<string, string>[] = [
      { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      { cookie },
      { cookie, ...CONSOLE, origin: 'https://evil.example' },
      { cookie, ...CONSOLE, origin: 'null' },
      { cookie, ...CONSOLE, 'sec-fetch-site': 'cross-site' },
      { cookie, ...CONSOLE, 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of attempts) {
      for (const [method, url] of [
        ['POST', '/admin/keys/rotate'],
        ['DELETE', '/admin/clients/from-console'],
      ] as const) {
        const r = await h.inject({ method, url, headers });
        assert.equal(r.statusCode, 403, `${method} ${url} ${JSON.stringify(headers)}`);
        assert.equal(r.json().error, 'access_denied');
      }
    }
    // Reading is safe without the header (a cross-site read is stopped by the browser's same-origin policy).
    assert.equal((await h.inject({ method: 'GET', url: '/admin/keys', headers: { cookie } })).statusCode, 200);
    // The same call, from the console itself, goes through.
    const ok = await h.inject({
      method: 'POST',
      url: '/admin/keys/rotate',
      headers: { cookie, ...CONSOLE, origin: ISSUER, 'sec-fetch-site': 'same-origin' },
    });
    assert.equal(ok.statusCode, 201);
    // Sign-in and sign-out are guarded too.
    const login = await h.inject({
      method: 'POST',
      url: '/admin/session',
      headers: { origin: 'https://evil.example', ...CONSOLE },
      payload: { admin_key: ADMIN_KEY },
    });
    assert.equal(login.statusCode, 403);
    const logout = await h.inject({ method: 'DELETE', url: '/admin/session', headers: { cookie } });
    assert.equal(logout.statusCode, 403);
  });

  it('ends a session after 30 idle minutes, and after 8 hours however busy', async () => {
    const idle = await signIn(h);
    h.clock.advance(29 * 60);
    assert.equal((await h.inject({ method: 'GET', url: '/admin/clients', headers: { cookie: idle } })).statusCode, 200);
    h.clock.advance(29 * 60);
    assert.equal((await h.inject({ method: 'GET', url: '/admin/clients', headers: { cookie: idle } })).statusCode, 200);
    h.clock.advance(30 * 60);
    const gone = await h.inject({ method: 'GET', url: '/admin/clients', headers: { cookie: idle } });
    assert.equal(gone.statusCode, 401);
    assert.deepEqual(gone.json(), { error: 'invalid_token', error_description: 'a valid admin key is required' });

    const busy = await signIn(h);
    for (let minutes = 0; minutes < 8 * 60 - 20; minutes += 20) {
      h.clock.advance(20 * 60);
      assert.equal(
        (await h.inject({ method: 'GET', url: '/admin/session', headers: { cookie: busy } })).statusCode,
        200,
      );
    }
    h.clock.advance(20 * 60);
    assert.equal((await h.inject({ method: 'GET', url: '/admin/session', headers: { cookie: busy } })).statusCode, 401);
  });

  it('signs out: the cookie is cleared and the session no longer works', async () => {
    const cookie = await signIn(h);
    const out = await h.inject({ method: 'DELETE', url: '/admin/session', headers: { cookie, ...CONSOLE } });
    assert.equal(out.statusCode, 204);
    assert.match(cookieOf(out), /^tessera_console=; Path=\/admin; Max-Age=0; HttpOnly; SameSite=Strict$/);
    assert.equal((await h.inject({ method: 'GET', url: '/admin/clients', headers: { cookie } })).statusCode, 401);
    assert.equal((await h.inject({ method: 'GET', url: '/admin/session', headers: { cookie } })).statusCode, 401);
  });

  it('replaces the session a browser already had when it signs in again', async () => {
    const first = await signIn(h);
    const second = await signIn(h, { cookie: first });
    assert.notEqual(first, second);
    assert.equal(
      (await h.inject({ method: 'GET', url: '/admin/session', headers: { cookie: first } })).statusCode,
      401,
    );
    assert.equal(
      (await h.inject({ method: 'GET', url: '/admin/session', headers: { cookie: second } })).statusCode,
      200,
    );
  });

  it('serves the console under a strict CSP, index revalidated, hashed assets cached for a year', async () => {
    const index = await h.inject({ method: 'GET', url: '/console/' });
    assert.equal(index.statusCode, 200);
    assert.match(String(index.headers['content-type']), /^text\/html/);
    assert.equal(index.headers['content-security-policy'], CONSOLE_CSP);
    assert.match(CONSOLE_CSP, /default-src 'self'/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
    assert.equal(index.headers['cache-control'], 'no-cache');
    assert.equal(index.headers['x-frame-options'], 'DENY');
    assert.doesNotMatch(index.body, /<script>|<style>| style=/, 'nothing inline');
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
    assert.ok(asset, index.body);
    const js = await h.inject({ method: 'GET', url: asset });
    assert.equal(js.statusCode, 200);
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.headers['content-security-policy'], CONSOLE_CSP);
    const bare = await h.inject({ method: 'GET', url: '/console' });
    assert.equal(bare.statusCode, 301);
    assert.equal(bare.headers.location, '/console/');
    for (const url of ['/console/../package.json', '/console/%2e%2e/%2e%2e/package.json', '/console/nope.js']) {
      const r = await h.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 404, url);
    }
    // Everything else keeps the API's own policy.
    const api = await h.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    assert.equal(api.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
  });

  it('TESSERA_CONSOLE=false: no console, no session endpoint, and no cookie is accepted', async () => {
    const off = await startHarness({}, { TESSERA_CONSOLE: 'false' });
    try {
      const cookie = await signIn(h);
      assert.equal((await off.inject({ method: 'GET', url: '/console/' })).statusCode, 404);
      assert.equal(
        (
          await off.inject({
            method: 'POST',
            url: '/admin/session',
            headers: CONSOLE,
            payload: { admin_key: ADMIN_KEY },
          })
        ).statusCode,
        404,
      );
      assert.equal((await off.inject({ method: 'GET', url: '/admin/clients', headers: { cookie } })).statusCode, 401);
      assert.equal((await off.admin('GET', '/admin/clients')).statusCode, 200);
    } finally {
      await off.close();
    }
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { ADMIN_KEY, basic, type Harness, startHarness } from './harness.js';

describe('rate limits', () => {
  const harnesses: Harness[] = [];
  after(async () => {
    for (const h of harnesses) await h.close();
  });
  const start = async (env: NodeJS.ProcessEnv) => {
    const h = await startHarness({}, env);
    harnesses.push(h);
    return h;
  };

  it('a flood of wrong secrets for one client gets 429, but never locks the real client out', async () => {
    const h = await start({ TESSERA_AUTH_FAILURES_PER_CLIENT: '5' });
    const victim = await h.createClient({ scope: 'a' });
    const bystander = await h.createClient({ scope: 'a' });
    const wrong = () =>
      h.token({ grant_type: 'client_credentials' }, { authorization: basic(victim.client_id, 'guess') });
    for (let i = 0; i < 5; i++) assert.equal((await wrong()).statusCode, 401);
    const throttled = await wrong();
    assert.equal(throttled.statusCode, 429);
    assert.match(String(throttled.headers['retry-after']), /^\d+$/);
    assert.ok(Number(throttled.headers['retry-after']) <= 60);
    assert.deepEqual(throttled.json(), {
      error: 'too_many_requests',
      error_description: 'too many failed authentications for this client',
    });
    // The real client, and anybody else, are served as usual.
    const real = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(victim.client_id, victim.client_secret) },
    );
    assert.equal(real.statusCode, 200);
    const other = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(bystander.client_id, 'guess') },
    );
    assert.equal(other.statusCode, 401);
    // The window passes: failures answer 401 again.
    h.clock.advance(61);
    assert.equal((await wrong()).statusCode, 401);
  });

  it('an address over its failure budget gets 429 for failures, while good credentials still work', async () => {
    const h = await start({ TESSERA_AUTH_FAILURES_PER_ADDRESS: '10' });
    const c = await h.createClient({ scope: 'a' });
    const from = (remoteAddress: string, authorization: string) =>
      h.inject({
        method: 'POST',
        url: '/oauth2/token',
        remoteAddress,
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'grant_type=client_credentials',
      });
    const spray = () => from('203.0.113.5', basic(`made-up-${randomUUID()}`, 'x'));
    for (let i = 0; i < 10; i++) assert.equal((await spray()).statusCode, 401);
    const r = await spray();
    assert.equal(r.statusCode, 429);
    assert.equal(r.json().error_description, 'too many failed authentications from this address');
    assert.equal((await from('203.0.113.5', basic(c.client_id, c.client_secret))).statusCode, 200);
    // Another address is not affected, and loopback (this machine) has no address budget.
    assert.equal((await from('198.51.100.7', basic('made-up', 'x'))).statusCode, 401);
    for (let i = 0; i < 12; i++) assert.equal((await from('127.0.0.1', basic(`local-${i}`, 'x'))).statusCode, 401);
  });

  it('wrong admin keys past the address budget get 429 with Retry-After; the right key still works', async () => {
    const h = await start({ TESSERA_AUTH_FAILURES_PER_ADDRESS: '3' });
    const from = (remoteAddress: string, key: string) =>
      h.inject({
        method: 'GET',
        url: '/admin/clients',
        remoteAddress,
        headers: { authorization: `Bearer ${key}` },
      });
    for (let i = 0; i < 3; i++) assert.equal((await from('203.0.113.5', `guess-${i}-0123456789`)).statusCode, 401);
    const throttled = await from('203.0.113.5', 'guess-4-0123456789');
    assert.equal(throttled.statusCode, 429);
    assert.match(String(throttled.headers['retry-after']), /^\d+$/);
    assert.ok(Number(throttled.headers['retry-after']) <= 60);
    assert.deepEqual(throttled.json(), {
      error: 'too_many_requests',
      error_description: 'too many wrong admin keys from this address',
    });
    // The operator is never locked out: the right key from the same address is served.
    assert.equal((await from('203.0.113.5', ADMIN_KEY)).statusCode, 200);
    // Counted per address, and apart from client authentication failures.
    assert.equal((await from('198.51.100.7', 'guess-0123456789')).statusCode, 401);
    const c = await h.createClient({ scope: 'a' });
    const token = await h.inject({
      method: 'POST',
      url: '/oauth2/token',
      remoteAddress: '203.0.113.5',
      headers: { authorization: basic(c.client_id, 'wrong'), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials',
    });
    assert.equal(token.statusCode, 401);
    // No Authorization header guesses nothing, so it is not counted or throttled.
    const none = await h.inject({ method: 'GET', url: '/admin/clients', remoteAddress: '203.0.113.5' });
    assert.equal(none.statusCode, 401);
    h.clock.advance(61);
    assert.equal((await from('203.0.113.5', 'guess-5-0123456789')).statusCode, 401);
  });

  it('limits token issuance per client: its own limit, else the server default, 0 for none', async () => {
    const h = await start({ TESSERA_TOKEN_RATE_LIMIT: '2' });
    const limited = await h.createClient({ scope: 'a', token_rate_limit: 3 });
    const byDefault = await h.createClient({ scope: 'a' });
    const unlimited = await h.createClient({ scope: 'a', token_rate_limit: 0 });
    assert.equal((await h.admin('GET', `/admin/clients/${limited.client_id}`)).json().token_rate_limit, 3);
    const token = (c: { client_id: string; client_secret: string }) =>
      h.token({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, c.client_secret) });
    for (let i = 0; i < 3; i++) assert.equal((await token(limited)).statusCode, 200);
    const over = await token(limited);
    assert.equal(over.statusCode, 429);
    assert.equal(over.headers['retry-after'], '60');
    assert.deepEqual(over.json(), {
      error: 'too_many_requests',
      error_description: 'more than 3 token requests per minute for this client',
    });
    for (let i = 0; i < 2; i++) assert.equal((await token(byDefault)).statusCode, 200);
    assert.equal((await token(byDefault)).statusCode, 429);
    for (let i = 0; i < 10; i++) assert.equal((await token(unlimited)).statusCode, 200);
    h.clock.advance(60);
    assert.equal((await token(limited)).statusCode, 200);
    assert.equal((await h.admin('POST', '/admin/clients', { token_rate_limit: -1 })).statusCode, 400);
  });

  it('shares the counts of several nodes through Redis', async () => {
    const env = { TESSERA_REDIS_URL: process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' };
    const a = await start(env);
    const b = await start(env);
    const id = `shared-${randomUUID()}`;
    // The same client on two nodes (separate in-memory stores, one Redis).
    const ca = await a.createClient({
      client_id: id,
      scope: 'a',
      token_rate_limit: 3,
      client_secret: 'a-shared-secret-that-is-long-enough-0123',
    });
    await b.createClient({
      client_id: id,
      scope: 'a',
      token_rate_limit: 3,
      client_secret: 'a-shared-secret-that-is-long-enough-0123',
    });
    const auth = { authorization: basic(id, ca.client_secret) };
    assert.equal((await a.token({ grant_type: 'client_credentials' }, auth)).statusCode, 200);
    assert.equal((await b.token({ grant_type: 'client_credentials' }, auth)).statusCode, 200);
    assert.equal((await a.token({ grant_type: 'client_credentials' }, auth)).statusCode, 200);
    assert.equal((await b.token({ grant_type: 'client_credentials' }, auth)).statusCode, 429);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic, type Harness, startHarness, tokenWithSecretJwt } from './harness.js';
import { TcpProxy } from './tcp-proxy.js';

const REDIS = new URL(process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');

/**
 * Redis goes away (a proxy in front of the real one is shut; the shared
 * Redis itself is never stopped). What the node does then, and what
 * /readyz and docs/deployment.md say it does: it stays ready, reports Redis
 * degraded, serves every client that needs no replay protection, answers
 * 503 to the ones that do, keeps revocation and introspection on the store,
 * and counts rate limits per node.
 */
describe('Redis outage', () => {
  let proxy: TcpProxy;
  let h: Harness;
  let secret: { client_id: string; client_secret: string };
  let post: { client_id: string; client_secret: string };
  let limited: { client_id: string; client_secret: string };
  let assertion: { client_id: string; client_secret: string };
  before(async () => {
    proxy = await TcpProxy.start(REDIS.hostname, Number(REDIS.port || 6379));
    h = await startHarness({}, { TESSERA_REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    secret = await h.createClient({ scope: 'a' });
    post = await h.createClient({ scope: 'a', token_endpoint_auth_method: 'client_secret_post' });
    limited = await h.createClient({ scope: 'a', token_rate_limit: 2 });
    assertion = await h.createClient({ scope: 'a', token_endpoint_auth_method: 'client_secret_jwt' });
  });
  after(async () => {
    await h?.close();
    await proxy?.down();
  });

  const readyz = () => h.inject({ method: 'GET', url: '/readyz' });
  /** Redis connects (and reconnects) in the background: wait for /readyz to say so. */
  const untilRedis = async (state: 'ok' | 'degraded') => {
    for (const started = Date.now(); Date.now() - started < 10_000; ) {
      if ((await readyz()).json().redis === state) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`redis never ${state}`);
  };
  const withSecret = (c: { client_id: string; client_secret: string }, how: 'basic' | 'post' = 'basic') =>
    how === 'basic'
      ? h.token({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, c.client_secret) })
      : h.token({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret });
  const form = (path: string, token: string) =>
    h.inject({
      method: 'POST',
      url: path,
      headers: {
        authorization: basic(secret.client_id, secret.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: `token=${token}`,
    });

  it('stays ready and reports Redis degraded; secret clients, revocation and introspection go on', async () => {
    await untilRedis('ok');
    const up = await readyz();
    assert.equal(up.statusCode, 200);
    assert.deepEqual(up.json(), { status: 'ready', store: 'sqlite', redis: 'ok' });
    assert.equal((await tokenWithSecretJwt(h, assertion)).statusCode, 200);
    const revokedBefore = (await withSecret(secret)).json().access_token as string;
    assert.equal((await form('/oauth2/revoke', revokedBefore)).statusCode, 200);

    await proxy.down();
    await untilRedis('degraded');
    const down = await readyz();
    assert.equal(down.statusCode, 200);
    assert.deepEqual(down.json(), { status: 'ready', store: 'sqlite', redis: 'degraded' });

    // client_secret_basic and client_secret_post: from the client cache and the store.
    assert.equal((await withSecret(secret)).statusCode, 200);
    assert.equal((await withSecret(post, 'post')).statusCode, 200);
    // Assertions need their jti recorded once: without Redis that fails closed.
    const replayProtected = await tokenWithSecretJwt(h, assertion);
    assert.equal(replayProtected.statusCode, 503);
    assert.equal(replayProtected.headers['retry-after'], '1');
    assert.deepEqual(replayProtected.json(), {
      error: 'temporarily_unavailable',
      error_description: 'the service is temporarily unavailable',
    });
    // The denylist is read from the store, and new revocations are written there.
    assert.deepEqual((await form('/oauth2/introspect', revokedBefore)).json(), { active: false });
    const revokedDuring = (await withSecret(secret)).json().access_token as string;
    assert.equal((await form('/oauth2/introspect', revokedDuring)).json().active, true);
    assert.equal((await form('/oauth2/revoke', revokedDuring)).statusCode, 200);
    assert.deepEqual((await form('/oauth2/introspect', revokedDuring)).json(), { active: false });
    // Rate limits are counted on this node alone, not dropped.
    assert.equal((await withSecret(limited)).statusCode, 200);
    assert.equal((await withSecret(limited)).statusCode, 200);
    assert.equal((await withSecret(limited)).statusCode, 429);
    assert.ok(
      h.logs.some((l) => l.includes('shared rate limit counters unavailable: counting per node')),
      'the fallback is logged',
    );

    await proxy.up();
    await untilRedis('ok');
    for (const started = Date.now(); (await tokenWithSecretJwt(h, assertion)).statusCode !== 200; ) {
      assert.ok(Date.now() - started < 10_000, 'assertions never served again');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual((await form('/oauth2/introspect', revokedDuring)).json(), { active: false });
    // The change feed rides on Redis too (its own connection): its loss and return are logged, once each.
    for (const started = Date.now(); !h.logs.some((l) => l.includes('change feed back')); ) {
      assert.ok(Date.now() - started < 10_000, 'the change feed never came back');
      await new Promise((r) => setTimeout(r, 50));
    }
    const feedLines = h.logs.filter((l) => l.includes('change feed')).map((l) => JSON.parse(l).msg as string);
    assert.deepEqual(feedLines, [
      'change feed lost: changes made on other nodes are missed until it is back',
      'change feed back: caches dropped, since changes may have been missed',
    ]);
  });
});

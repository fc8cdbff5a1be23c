import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, basic, type Harness, startHarness } from './harness.js';

describe('Prometheus metrics', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('counts tokens, auth failures, latencies and store calls, behind the admin key', async () => {
    const c = await h.createClient({ client_id: 'metrics-client', scope: 'a' });
    const o = await h.createClient({ client_id: 'metrics-opaque', scope: 'a', access_token_format: 'opaque' });
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await h.token({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, c.client_secret) }))
          .statusCode,
        200,
      );
    }
    await h.token({ grant_type: 'client_credentials' }, { authorization: basic(o.client_id, o.client_secret) });
    await h.token({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, 'wrong') });
    await h.token({ grant_type: 'client_credentials' }, { authorization: basic('nobody', 'x') });

    assert.equal((await h.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
    const r = await h.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const text = r.body;
    assert.match(text, /tessera_tokens_issued_total\{client_id="metrics-client",alg="RS256",format="jwt"\} 3/);
    assert.match(text, /tessera_tokens_issued_total\{client_id="metrics-opaque",alg="none",format="opaque"\} 1/);
    assert.match(text, /tessera_client_auth_failures_total\{reason="wrong_secret"\} 1/);
    assert.match(text, /tessera_client_auth_failures_total\{reason="unknown_client"\} 1/);
    assert.match(
      text,
      /tessera_http_request_duration_seconds_count\{route="\/oauth2\/token",method="POST",outcome="2xx"\} 4/,
    );
    assert.match(
      text,
      /tessera_http_request_duration_seconds_count\{route="\/oauth2\/token",method="POST",outcome="4xx"\} 2/,
    );
    assert.match(
      text,
      /tessera_store_operation_duration_seconds_count\{operation="insertOpaqueToken",outcome="ok"\} 1/,
    );
    assert.match(text, /tessera_jwks_keys 1/);
    assert.match(text, /tessera_process_cpu_user_seconds_total/);
    assert.ok(!text.includes(c.client_secret), 'no secret in metrics');
  });

  it('TESSERA_METRICS=false: no /metrics route, tokens still issued', async () => {
    const off = await startHarness({}, { TESSERA_METRICS: 'false' });
    try {
      assert.equal(off.tessera.ctx.metrics.enabled, false);
      const c = await off.createClient({ client_id: 'unmetered', scope: 'a' });
      const t = await off.token(
        { grant_type: 'client_credentials' },
        { authorization: basic(c.client_id, c.client_secret) },
      );
      assert.equal(t.statusCode, 200);
      const r = await off.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      assert.equal(r.statusCode, 404);
      assert.doesNotMatch(await off.tessera.ctx.metrics.registry.metrics(), /tessera_tokens_issued_total\{/);
    } finally {
      await off.close();
    }
  });
});

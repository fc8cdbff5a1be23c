import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { basicAuth, startTessera, type TesseraProcess } from './support/tessera-process.js';
import { ThrowawayPostgres, ThrowawayRedis } from './support/throwaway-services.js';

/**
 * Backing services fail under load: PostgreSQL and Redis of the test's own
 * are stopped and restarted while a bounded request loop runs. Expected:
 * 503 + Retry-After where the missing service is needed, never a 500,
 * nothing hangs past its timeout, and recovery needs nobody.
 */
describe('faults: PostgreSQL and Redis stopped and restarted under load', () => {
  let pg: ThrowawayPostgres;
  let redis: ThrowawayRedis;
  let t: TesseraProcess;
  let secretClient: { client_id: string; client_secret?: string };
  let opaqueClient: { client_id: string; client_secret?: string };
  let keyClient: { client_id: string };
  let signingKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  before(async () => {
    pg = await ThrowawayPostgres.create();
    redis = await ThrowawayRedis.create();
    t = await startTessera({
      TESSERA_DATABASE_URL: pg.url,
      TESSERA_REDIS_URL: redis.url,
      TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      TESSERA_ISSUER: 'http://tessera.faults.test',
    });
    secretClient = await t.createClient({ scope: 'a' });
    opaqueClient = await t.createClient({ scope: 'a', access_token_format: 'opaque' });
    const pair = await generateKeyPair('ES256');
    signingKey = pair.privateKey;
    keyClient = await t.createClient({
      scope: 'a',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k' }] },
    });
  });
  after(async () => {
    await t?.stop();
    pg?.destroy();
    await redis?.stop();
  });

  const timed = async (path: string, init: RequestInit = {}) => {
    const started = Date.now();
    const r = await fetch(t.url + path, { ...init, signal: AbortSignal.timeout(15_000) });
    const text = await r.text();
    return { status: r.status, ms: Date.now() - started, retryAfter: r.headers.get('retry-after'), body: text };
  };
  const tokenWithSecret = (c: { client_id: string; client_secret?: string }) =>
    timed('/oauth2/token', {
      method: 'POST',
      headers: {
        authorization: basicAuth(c.client_id, c.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
  const tokenWithAssertion = async () => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setIssuer(keyClient.client_id)
      .setSubject(keyClient.client_id)
      .setAudience('http://tessera.faults.test')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(signingKey);
    return timed('/oauth2/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_assertion_type=${encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')}&client_assertion=${jwt}`,
    });
  };
  const createClient = () =>
    timed('/admin/clients', {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json' },
      body: '{"scope":"a"}',
    });
  /** Polls `probe` until it gives `status`, for at most `ms`. */
  const until = async (probe: () => Promise<{ status: number }>, status: number, ms: number) => {
    const started = Date.now();
    for (;;) {
      if ((await probe()).status === status) return Date.now() - started;
      assert.ok(Date.now() - started < ms, `no ${status} within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('PostgreSQL down: 503 + Retry-After where the store is needed, cached JWT issuance goes on, then recovery', async (t) => {
    assert.equal((await tokenWithSecret(secretClient)).status, 200);
    pg.stop();
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      for (const r of [await timed('/readyz'), await createClient(), await tokenWithSecret(opaqueClient)]) {
        seen.push(r.status);
        assert.equal(r.status, 503, r.body);
        assert.equal(r.retryAfter, '1');
        assert.ok(r.ms < 8000, `answered after ${r.ms} ms`);
      }
      // Clients and keys are cached: a JWT for a known client needs no store round trip.
      assert.equal((await tokenWithSecret(secretClient)).status, 200);
    }
    pg.start();
    const recovered = await until(createClient, 201, 20_000);
    t.diagnostic(`PostgreSQL back: admin writes recovered ${recovered} ms after restart`);
    assert.equal((await timed('/readyz')).status, 200);
    assert.equal((await tokenWithSecret(opaqueClient)).status, 200);
    assert.ok(!seen.includes(500));
  });

  const introspect = async (token: string) => {
    const r = await timed('/oauth2/introspect', {
      method: 'POST',
      headers: {
        authorization: basicAuth(secretClient.client_id, secretClient.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `token=${token}`,
    });
    return JSON.parse(r.body) as { active: boolean };
  };

  it('Redis down: replay-protected methods fail closed, secret auth keeps working, then recovery', async (t) => {
    assert.equal((await tokenWithAssertion()).status, 200);
    // A revocation acknowledged before Redis dies must survive its restart (it keeps nothing on disk).
    const revoked = JSON.parse((await tokenWithSecret(secretClient)).body).access_token as string;
    const revoke = await timed('/oauth2/revoke', {
      method: 'POST',
      headers: {
        authorization: basicAuth(secretClient.client_id, secretClient.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `token=${revoked}`,
    });
    assert.equal(revoke.status, 200);
    assert.equal((await introspect(revoked)).active, false);
    await redis.stop();
    assert.equal((await introspect(revoked)).active, false, 'while Redis is away the store answers');
    for (let i = 0; i < 5; i++) {
      const r = await tokenWithAssertion();
      assert.equal(r.status, 503, r.body);
      assert.equal(r.retryAfter, '1');
      assert.ok(r.ms < 5000, `answered after ${r.ms} ms`);
      assert.equal((await tokenWithSecret(secretClient)).status, 200);
      assert.equal((await tokenWithSecret(opaqueClient)).status, 200);
    }
    const ready = await timed('/readyz');
    assert.equal(ready.status, 200, 'Redis alone never fails readiness');
    assert.equal(JSON.parse(ready.body).redis, 'degraded');
    await redis.start();
    const recovered = await until(tokenWithAssertion, 200, 20_000);
    t.diagnostic(`Redis back: private_key_jwt recovered ${recovered} ms after restart`);
    assert.equal((await timed('/readyz')).status, 200);
    assert.equal((await introspect(revoked)).active, false, 'the denylist was rebuilt from the store');
  });
});

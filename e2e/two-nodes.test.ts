import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { freshPostgres, requireRedis } from './support/backing-services.js';
import { startStandInIssuer } from './support/stand-in-issuer.js';
import { basicAuth, startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * Two server processes on different ports sharing one PostgreSQL database
 * (and, in the second run, one Redis): what one node does, the other honours.
 */
for (const withRedis of [false, true]) {
  describe(`two nodes on PostgreSQL${withRedis ? ' + Redis' : ' (LISTEN/NOTIFY)'}`, () => {
    let a: TesseraProcess;
    let b: TesseraProcess;
    let db: Awaited<ReturnType<typeof freshPostgres>>;

    before(async () => {
      db = await freshPostgres();
      const env: Record<string, string> = {
        TESSERA_DATABASE_URL: db.url,
        // Every node must share the encryption key: it seals the signing keys both use.
        TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
        TESSERA_ADMIN_KEY: `shared-admin-${randomBytes(8).toString('hex')}`,
        TESSERA_ISSUER: 'http://tessera.cluster.test',
        ...(withRedis ? { TESSERA_REDIS_URL: await requireRedis() } : {}),
      };
      a = await startTessera(env);
      b = await startTessera(env);
    });
    after(async () => {
      await a?.stop();
      await b?.stop();
      await db?.drop();
    });

    const post = async (node: TesseraProcess, path: string, body: string, authorization?: string) => {
      const r = await fetch(node.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
        body,
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    };

    it('a client created on A gets tokens from B; a token from A introspects on B; revocation on A is seen by B at once', async () => {
      const c = await a.createClient({ scope: 'a', audience: ['calendar'] });
      const auth = basicAuth(c.client_id, c.client_secret as string);
      const fromB = await post(b, '/oauth2/token', 'grant_type=client_credentials', auth);
      assert.equal(fromB.status, 200);
      const fromA = await post(a, '/oauth2/token', 'grant_type=client_credentials', auth);
      const introspected = await post(b, '/oauth2/introspect', `token=${fromA.body.access_token}`, auth);
      assert.equal(introspected.body.active, true);
      assert.equal((await post(a, '/oauth2/revoke', `token=${fromA.body.access_token}`, auth)).status, 200);
      assert.deepEqual((await post(b, '/oauth2/introspect', `token=${fromA.body.access_token}`, auth)).body, {
        active: false,
      });
      const opaque = await a.createClient({ scope: 'a', access_token_format: 'opaque' });
      const oauth = basicAuth(opaque.client_id, opaque.client_secret as string);
      const ot = (await post(a, '/oauth2/token', 'grant_type=client_credentials', oauth)).body.access_token;
      assert.equal((await post(b, '/oauth2/introspect', `token=${ot}`, oauth)).body.active, true);
      await post(b, '/oauth2/revoke', `token=${ot}`, oauth);
      assert.equal((await post(a, '/oauth2/introspect', `token=${ot}`, oauth)).body.active, false);
    });

    it('a key rotation on A makes B sign with the new key and publish it', async (t) => {
      const c = await a.createClient({ scope: 'a' });
      const auth = basicAuth(c.client_id, c.client_secret as string);
      const rotated = await a.admin('POST', '/admin/keys/rotate');
      assert.equal(rotated.status, 201);
      const started = Date.now();
      for (;;) {
        const token = (await post(b, '/oauth2/token', 'grant_type=client_credentials', auth)).body
          .access_token as string;
        const kid = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid;
        if (kid === rotated.body.kid) break;
        assert.ok(Date.now() - started < 1000, 'B still signs with the old key after 1 s');
      }
      t.diagnostic(`key rotation reached B after ${Date.now() - started} ms`);
      const jwks = (await (await fetch(`${b.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      assert.ok(jwks.keys.some((k) => k.kid === rotated.body.kid));
    });

    it('a deletion on A stops B within 1 s (measured)', async (t) => {
      const c = await a.createClient({ scope: 'a' });
      const auth = basicAuth(c.client_id, c.client_secret as string);
      // Warm B's cache: the case where propagation matters.
      assert.equal((await post(b, '/oauth2/token', 'grant_type=client_credentials', auth)).status, 200);
      assert.equal((await a.admin('DELETE', `/admin/clients/${c.client_id}`)).status, 204);
      const deletedAt = Date.now();
      let delay = -1;
      while (Date.now() - deletedAt < 1000) {
        if ((await post(b, '/oauth2/token', 'grant_type=client_credentials', auth)).status === 401) {
          delay = Date.now() - deletedAt;
          break;
        }
      }
      assert.ok(delay >= 0, 'B still issues tokens to a deleted client after 1 s');
      t.diagnostic(`deletion reached B after ${delay} ms`);
    });

    it('a trusted issuer and a federated client made on A work on B; deleting the issuer on A stops B within 1 s', async () => {
      const issuer = await startStandInIssuer({ alg: 'ES256' });
      try {
        const ti = await a.admin('POST', '/admin/trusted-issuers', { issuer: issuer.url });
        assert.equal(ti.status, 201);
        const subject = `system:serviceaccount:nodes:${randomUUID()}`;
        const c = await a.createClient({
          token_endpoint_auth_method: 'federated_jwt',
          federated_identities: [{ issuer: issuer.url, subject }],
        });
        const now = Math.floor(Date.now() / 1000);
        const token = await issuer.sign({
          iss: issuer.url,
          sub: subject,
          aud: 'http://tessera.cluster.test',
          iat: now,
          exp: now + 600,
        });
        const body = `grant_type=client_credentials&client_assertion_type=${encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')}&client_assertion=${token}`;
        // Without client_id: B's identity index heard of the client A created.
        const until = async (status: number) => {
          const started = Date.now();
          for (;;) {
            const r = await post(b, '/oauth2/token', body);
            if (r.status === status) return r;
            assert.ok(Date.now() - started < 1000, `B answers ${r.status}, not ${status}, after 1 s`);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        };
        const fromB = await until(200);
        assert.equal(
          JSON.parse(Buffer.from(fromB.body.access_token.split('.')[1], 'base64url').toString()).client_id,
          c.client_id,
        );
        assert.equal((await a.admin('DELETE', `/admin/trusted-issuers/${ti.body.id}`)).status, 204);
        await until(401);
      } finally {
        await issuer.close();
      }
    });

    it('one private_key_jwt assertion sent to A and B concurrently yields exactly one token', async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const c = await a.createClient({
        scope: 'a',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k' }] },
      });
      const now = Math.floor(Date.now() / 1000);
      const assertion = await new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: 'k' })
        .setIssuer(c.client_id)
        .setSubject(c.client_id)
        .setAudience('http://tessera.cluster.test')
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(privateKey);
      const body = `grant_type=client_credentials&client_assertion_type=${encodeURIComponent(
        'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      )}&client_assertion=${assertion}`;
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => post(i % 2 ? a : b, '/oauth2/token', body)),
      );
      const statuses = results.map((r) => r.status).join(',');
      assert.equal(
        results.filter((r) => r.status === 200).length,
        1,
        `${statuses}\n${a
          .output()
          .split('\n')
          .filter((l) => l.includes('refused') || l.includes('"level":50'))
          .slice(-3)
          .join('\n')}`,
      );
      assert.equal(results.filter((r) => r.status === 401).length, 39);
    });

    it('both nodes report ready on their store', async () => {
      for (const node of [a, b]) {
        const r = await fetch(`${node.url}/readyz`);
        assert.equal(r.status, 200);
        // Redis is reported beside the store, never gated on.
        const redis = withRedis ? { redis: 'ok' } : {};
        assert.deepEqual(await r.json(), { status: 'ready', store: 'postgres', ...redis });
      }
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStandInIssuer } from './support/stand-in-issuer.js';
import { basicAuth, startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * TESSERA_WORKERS=2: two processes share the port and the SQLite file. Each
 * caches clients and keys in memory, so a change made through one must take
 * effect on the other at once (cluster IPC invalidation).
 */
describe('TESSERA_WORKERS=2', () => {
  let t: TesseraProcess;
  before(async () => {
    t = await startTessera({ TESSERA_WORKERS: '2' });
  });
  after(() => t.stop());

  const token = async (id: string, secret: string, extra = '') => {
    const r = await fetch(`${t.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: basicAuth(id, secret),
        'content-type': 'application/x-www-form-urlencoded',
        // A new connection per request, so the kernel spreads them over both workers.
        connection: 'close',
      },
      body: `grant_type=client_credentials${extra}`,
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const many = async (n: number, f: () => Promise<{ status: number }>) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await f()).status);
    return out;
  };

  it('serves from both workers and sees a PATCH and a DELETE everywhere at once', async () => {
    const c = await t.createClient({ scope: 'a' });
    const secret = c.client_secret as string;
    assert.deepEqual(new Set(await many(20, () => token(c.client_id, secret))), new Set([200]));
    assert.deepEqual(new Set(await many(10, () => token(c.client_id, secret, '&scope=b'))), new Set([400]));

    assert.equal((await t.admin('PATCH', `/admin/clients/${c.client_id}`, { scope: 'a b' })).status, 200);
    assert.deepEqual(new Set(await many(20, () => token(c.client_id, secret, '&scope=b'))), new Set([200]));

    assert.equal((await t.admin('DELETE', `/admin/clients/${c.client_id}`)).status, 204);
    assert.deepEqual(new Set(await many(20, () => token(c.client_id, secret))), new Set([401]));
  });

  it('sees a trusted issuer and a federated client on every worker at once, and their removal', async () => {
    const issuer = await startStandInIssuer({ alg: 'ES256' });
    try {
      const ti = await t.admin('POST', '/admin/trusted-issuers', { issuer: issuer.url });
      assert.equal(ti.status, 201);
      const subject = 'system:serviceaccount:workers:caller';
      await t.createClient({
        token_endpoint_auth_method: 'federated_jwt',
        federated_identities: [{ issuer: issuer.url, subject }],
      });
      const now = Math.floor(Date.now() / 1000);
      const assertion = await issuer.sign({ iss: issuer.url, sub: subject, aud: t.url, iat: now, exp: now + 600 });
      const federated = async () =>
        fetch(`${t.url}/oauth2/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', connection: 'close' },
          body: `grant_type=client_credentials&client_assertion_type=${encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')}&client_assertion=${assertion}`,
        });
      const createdAt = Date.now();
      while (new Set(await many(4, federated)).has(401)) {
        assert.ok(Date.now() - createdAt < 1000, 'a worker still refuses the new client 1 s after it was made');
      }
      assert.deepEqual(new Set(await many(20, federated)), new Set([200]));
      assert.equal((await t.admin('DELETE', `/admin/trusted-issuers/${ti.body.id}`)).status, 204);
      // The other worker reloads its trusted issuers from the store when it hears of the change: within moments.
      const deletedAt = Date.now();
      while (new Set(await many(4, federated)).has(200)) {
        assert.ok(Date.now() - deletedAt < 1000, 'a worker still trusts the issuer 1 s after its deletion');
      }
      assert.deepEqual(new Set(await many(20, federated)), new Set([401]));
    } finally {
      await issuer.close();
    }
  });

  it('signs with the new key on every worker within a second of a rotation', async () => {
    const c = await t.createClient({ scope: 'a' });
    const kidOfNextToken = async () => {
      const { body } = await token(c.client_id, c.client_secret as string);
      return JSON.parse(Buffer.from(String(body.access_token).split('.')[0] as string, 'base64url').toString()).kid;
    };
    const rotated = await t.admin('POST', '/admin/keys/rotate');
    assert.equal(rotated.status, 201);
    // The other worker reloads its keys when the rotation message reaches it: allow it 1 s.
    const rotatedAt = Date.now();
    let streak = 0;
    while (streak < 10) {
      streak = (await kidOfNextToken()) === rotated.body.kid ? streak + 1 : 0;
      assert.ok(Date.now() - rotatedAt < 1000, 'a worker still signs with the old key after 1 s');
    }
    for (let i = 0; i < 20; i++) assert.equal(await kidOfNextToken(), rotated.body.kid);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_POSTGRES_URL, useTestSchemas } from '../src/store/postgres/test-database.test-suite.js';
import { ADMIN_KEY, basic, type Harness, startHarness } from './harness.js';

/**
 * Every input from the network is untrusted: bad input gets a 4xx that
 * follows the RFC, never a 5xx or a hang, and changes nothing.
 */
const schemas = useTestSchemas();

for (const backend of ['sqlite', 'postgres'] as const)
  describe(`hostile input (${backend})`, () => {
    let h: Harness;
    let c: { client_id: string; client_secret: string };
    before(async () => {
      const env: NodeJS.ProcessEnv = {};
      if (backend === 'postgres') {
        const url = new URL(TEST_POSTGRES_URL);
        url.searchParams.set('options', `-c search_path=${await schemas.freshSchema()}`);
        env.TESSERA_DATABASE_URL = url.toString();
      }
      h = await startHarness({}, env);
      c = await h.createClient({ scope: 'a', audience: ['x'] });
    });
    after(() => h.close());

    it('NUL and control bytes in ids never reach the store', async () => {
      for (const id of ['a\u0000b', '\u0000', 'tab\there', 'new\nline']) {
        const viaPost = await tokenRaw(
          `grant_type=client_credentials&client_id=${encodeURIComponent(id)}&client_secret=s`,
        );
        assert.equal(viaPost.statusCode, 401, JSON.stringify(id));
        const viaBasic = await tokenRaw('grant_type=client_credentials', { authorization: basic(id, 'secret') });
        assert.equal(viaBasic.statusCode, 401, JSON.stringify(id));
        for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
          const r = await h.admin(
            method,
            `/admin/clients/${encodeURIComponent(id)}`,
            method === 'PATCH' ? { scope: 'a' } : undefined,
          );
          assert.equal(r.statusCode, 404, `${method} ${JSON.stringify(id)}`);
        }
        const secrets = await h.admin('POST', `/admin/clients/${encodeURIComponent(id)}/secrets`, {});
        assert.equal(secrets.statusCode, 404);
        const cursor = Buffer.from(`c1:${id}`).toString('base64url');
        assert.equal((await h.admin('GET', `/admin/clients?cursor=${cursor}`)).statusCode, 400);
      }
      const nulJti = await tokenRaw(
        `grant_type=client_credentials&client_assertion_type=${encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')}&client_assertion=${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: c.client_id, sub: c.client_id, jti: '\u0000' })).toString('base64url')}.sig`,
      );
      assert.equal(nulJti.statusCode, 401);
    });

    const tokenRaw = (payload: string | Buffer, headers: Record<string, string> = {}) =>
      h.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload,
      });

    it('malformed Basic headers are invalid_client', async () => {
      for (const authorization of [
        'Basic',
        'Basic ',
        'Basic !!!!',
        `Basic ${Buffer.from('no-colon').toString('base64')}`,
        `Basic ${Buffer.from(':secret-only').toString('base64')}`,
        `Basic ${Buffer.from('%zz:%zz').toString('base64')}`,
        `Basic ${'A'.repeat(10_000)}`,
        'Bearer something',
        'Digest username="x"',
      ]) {
        const r = await tokenRaw('grant_type=client_credentials', { authorization });
        assert.equal(r.statusCode, 401, authorization.slice(0, 40));
        assert.equal(r.json().error, 'invalid_client');
      }
    });

    it('a 10,000-character client_id is refused without trouble', async () => {
      const id = 'x'.repeat(10_000);
      const viaBasic = await tokenRaw('grant_type=client_credentials', { authorization: basic(id, 'secret') });
      assert.equal(viaBasic.statusCode, 401);
      const viaPost = await tokenRaw(`grant_type=client_credentials&client_id=${id}&client_secret=s`);
      assert.equal(viaPost.statusCode, 401);
      const admin = await h.admin('GET', `/admin/clients/${id}`);
      assert.ok([400, 404, 414].includes(admin.statusCode), String(admin.statusCode));
    });

    it('non-UTF-8 bytes and broken percent-encoding are 4xx', async () => {
      const bytes = Buffer.concat([
        Buffer.from('grant_type=client_credentials&scope='),
        Buffer.from([0xff, 0xfe, 0xc3]),
      ]);
      const r1 = await tokenRaw(bytes, { authorization: basic(c.client_id, c.client_secret) });
      assert.ok(r1.statusCode >= 400 && r1.statusCode < 500, String(r1.statusCode));
      const r2 = await tokenRaw('grant_type=client_credentials&scope=%E0%A4%A', {
        authorization: basic(c.client_id, c.client_secret),
      });
      assert.ok(r2.statusCode >= 400 && r2.statusCode < 500, String(r2.statusCode));
      const r3 = await tokenRaw(
        `grant_type=client_credentials&client_id=${encodeURIComponent('\u0000\uffff')}&client_secret=x`,
      );
      assert.equal(r3.statusCode, 401);
    });

    it('prototype-pollution keys are plain data or refused', async () => {
      const form = await tokenRaw('__proto__=x&constructor=y&grant_type=client_credentials', {
        authorization: basic(c.client_id, c.client_secret),
      });
      assert.equal(form.statusCode, 200);
      const json = await h.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/json', authorization: basic(c.client_id, c.client_secret) },
        payload: '{"grant_type":"client_credentials","__proto__":{"polluted":true}}',
      });
      assert.equal(json.statusCode, 400);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      const admin = await h.inject({
        method: 'PATCH',
        url: `/admin/clients/${c.client_id}`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
        payload: '{"constructor":{"prototype":{"polluted":true}}}',
      });
      assert.equal(admin.statusCode, 400);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      const claims = await h.admin('POST', '/admin/clients', JSON.parse('{"claims":{"__proto__":{"x":1}}}'));
      assert.ok(claims.statusCode === 201 || claims.statusCode === 400);
    });

    it('huge JSON and huge forms get 413', async () => {
      const big = JSON.stringify({ grant_type: 'client_credentials', scope: 'a'.repeat(200_000) });
      const r = await h.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/json' },
        payload: big,
      });
      assert.equal(r.statusCode, 413);
      const adminBig = await h.admin('POST', '/admin/clients', {
        client_name: 'x',
        claims: { blob: 'x'.repeat(200_000) },
      });
      assert.equal(adminBig.statusCode, 413);
    });

    it('deeply nested JSON is refused, not a crash', async () => {
      const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
      const r = await h.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/json' },
        payload: `{"grant_type":${deep}}`,
      });
      assert.equal(r.statusCode, 400);
      const admin = await h.inject({
        method: 'POST',
        url: '/admin/clients',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
        payload: `{"claims":{"x":${deep}}}`,
      });
      // 4096 bytes of claims at most: refused as metadata, not a crash.
      assert.equal(admin.statusCode, 400);
      assert.equal(admin.json().error, 'invalid_client_metadata');
    });

    it('many parameters, empty values and odd names are handled', async () => {
      const many = Array.from({ length: 2000 }, (_, i) => `p${i}=v`).join('&');
      const r = await tokenRaw(`${many}&grant_type=client_credentials`, {
        authorization: basic(c.client_id, c.client_secret),
      });
      assert.equal(r.statusCode, 200);
      const empty = await tokenRaw('grant_type=client_credentials&scope=&audience=', {
        authorization: basic(c.client_id, c.client_secret),
      });
      assert.equal(empty.statusCode, 200, 'empty values count as omitted (RFC 6749 §3.1)');
      const noBody = await h.inject({ method: 'POST', url: '/oauth2/token' });
      assert.equal(noBody.statusCode, 400);
      assert.equal(noBody.json().error, 'invalid_request');
    });

    it('unknown paths are 404 JSON', async () => {
      const r = await h.inject({ method: 'GET', url: '/nope?secret=x' });
      assert.equal(r.statusCode, 404);
      assert.equal(r.json().error, 'not_found');
      assert.ok(!r.body.includes('secret=x'));
    });

    it('none of this changed the client or created one', async () => {
      const list = (await h.admin('GET', '/admin/clients?limit=200')).json().items;
      const mine = list.find((x: { client_id: string }) => x.client_id === c.client_id);
      assert.equal(mine.scope, 'a');
      assert.ok(list.length <= 2);
    });
  });

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readActiveToken } from '../src/core/read-token.js';
import type { GrantedToken } from '../src/tokens/granted-token.js';
import { issueJwt } from '../src/tokens/jwt-access-token.js';
import { issueOpaque } from '../src/tokens/opaque-access-token.js';
import { tokenResponseJson } from '../src/tokens/token-response.js';
import { basic, decodeJwt, type Harness, ISSUER, startHarness } from './harness.js';

/**
 * The one token shape carries `act` and `cnf` through every format: what
 * token exchange and sender-constrained tokens will grant. No grant sets them
 * yet, so the builders are driven directly, and read back through the real
 * introspection endpoint.
 */
describe('the granted token shape: act, cnf and a subject other than the client', () => {
  let h: Harness;
  let client: { client_id: string; client_secret: string };
  const granted = (format: 'jwt' | 'opaque'): GrantedToken => ({
    clientId: client.client_id,
    subject: 'task-service',
    scope: 'file.view',
    scopes: ['file.view'],
    audience: ['file'],
    ttl: 300,
    claims: {},
    format,
    act: { sub: client.client_id, act: { sub: 'gateway' } },
    cnf: { jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' },
  });

  before(async () => {
    h = await startHarness();
    client = await h.createClient({ scope: 'file.view', audience: ['file'] });
  });
  after(() => h.close());

  const introspect = async (token: string) =>
    (
      await h.inject({
        method: 'POST',
        url: '/oauth2/introspect',
        headers: {
          authorization: basic(client.client_id, client.client_secret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: `token=${token}`,
      })
    ).json();

  it('a JWT carries them as claims, and introspection answers them with token_type DPoP', async () => {
    const ctx = h.tessera.ctx;
    const issued = issueJwt(ctx.keys, ctx.issuer, granted('jwt'), ctx.now());
    const { payload } = decodeJwt(issued.accessToken);
    assert.equal(payload.sub, 'task-service');
    assert.equal(payload.client_id, client.client_id);
    assert.deepEqual(payload.act, { sub: client.client_id, act: { sub: 'gateway' } });
    assert.deepEqual(payload.cnf, { jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
    const answer = await introspect(issued.accessToken);
    assert.equal(answer.active, true);
    assert.equal(answer.sub, 'task-service');
    assert.equal(answer.token_type, 'DPoP');
    assert.deepEqual(answer.act, payload.act);
    assert.deepEqual(answer.cnf, payload.cnf);
  });

  it('an opaque token keeps them in its row, and introspection answers the same', async () => {
    const ctx = h.tessera.ctx;
    const issued = await issueOpaque(ctx.store, ctx.tokenHasher, granted('opaque'), ctx.now());
    const answer = await introspect(issued.accessToken);
    assert.equal(answer.active, true);
    assert.equal(answer.sub, 'task-service');
    assert.equal(answer.client_id, client.client_id);
    assert.equal(answer.iss, ISSUER);
    assert.equal(answer.token_type, 'DPoP');
    assert.deepEqual(answer.act, { sub: client.client_id, act: { sub: 'gateway' } });
    assert.deepEqual(answer.cnf, { jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
    const read = await readActiveToken(ctx, issued.accessToken);
    assert.equal(read?.format, 'opaque');
  });

  it('the token response says DPoP for a key-bound token and Bearer otherwise', () => {
    const issued = { accessToken: 'x.y.z', expiresIn: 300, alg: 'ES256' };
    assert.equal(JSON.parse(tokenResponseJson(granted('jwt'), issued)).token_type, 'DPoP');
    assert.equal(JSON.parse(tokenResponseJson({ ...granted('jwt'), cnf: undefined }, issued)).token_type, 'Bearer');
    const mtls = { ...granted('jwt'), cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } };
    assert.equal(JSON.parse(tokenResponseJson(mtls, issued)).token_type, 'Bearer');
  });
});

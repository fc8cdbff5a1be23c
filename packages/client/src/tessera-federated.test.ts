import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { type StandInIssuer, startStandInIssuer } from '../../../e2e/support/stand-in-issuer.js';
import { startTessera, type TesseraProcess } from '../../../e2e/support/tessera-process.js';
import { createTokenClient, TokenEndpointError } from './index.js';

/**
 * `federated_jwt` against the real Tessera server, with a stand-in cluster
 * issuer and SPIRE bundle endpoint over loopback: the workload holds no
 * secret, only its platform's token. Needs `npm run build`.
 */
describe('federated_jwt against a real Tessera server', () => {
  let tessera: TesseraProcess;
  let cluster: StandInIssuer;
  let spire: StandInIssuer;
  let dir: string;
  let verify: (token: string) => Promise<Record<string, unknown>>;

  before(async () => {
    [tessera, cluster, spire] = await Promise.all([
      startTessera({ TESSERA_LOG_LEVEL: 'warn' }),
      startStandInIssuer({ kind: 'kubernetes' }),
      startStandInIssuer({ kind: 'spiffe', trustDomain: 'prod.example' }),
    ]);
    dir = await mkdtemp(join(tmpdir(), 'tessera-projected-'));
    const jwks = createRemoteJWKSet(new URL(`${tessera.url}/.well-known/jwks.json`));
    verify = async (token) =>
      (await jwtVerify(token, jwks, { issuer: tessera.url, audience: 'calendar', typ: 'at+jwt' })).payload;
    const trust = async (body: Record<string, unknown>) => {
      const r = await tessera.admin('POST', '/admin/trusted-issuers', body);
      assert.equal(r.status, 201, JSON.stringify(r.body));
    };
    await trust({ issuer: cluster.issuer, max_token_lifetime: 3600 });
    await trust({ issuer: spire.url, kind: 'spiffe', jwks_uri: spire.jwksUri, trust_domain: 'prod.example' });
  });
  after(async () => {
    await Promise.all([tessera?.stop(), cluster?.close(), spire?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const register = (issuer: string, subject: string) =>
    tessera.createClient({
      scope: 'a b',
      audience: ['calendar'],
      token_endpoint_auth_method: 'federated_jwt',
      federated_identities: [{ issuer, subject }],
    });

  const serviceAccountToken = (serviceAccount: string) =>
    cluster.serviceAccountToken({ namespace: 'apps', serviceAccount, audience: tessera.url, expirationSeconds: 600 });

  it('a projected service-account token from a file, no client id, and the renewed one after the swap', async () => {
    const c = await register(cluster.issuer as string, 'system:serviceaccount:apps:calendar-reader');
    assert.equal(c.client_secret, undefined);
    const projection = await cluster.project({
      dir,
      lifetimeSeconds: 600,
      mint: () => serviceAccountToken('calendar-reader'),
    });
    let requests = 0;
    const client = createTokenClient({
      issuer: tessera.url,
      clientAssertionFile: projection.path,
      fetch: (input, init) => {
        requests++;
        return fetch(input, init);
      },
    });
    const tokens = await Promise.all(
      Array.from({ length: 20 }, () => client.getToken({ audience: 'calendar', scope: 'b a' })),
    );
    assert.equal(new Set(tokens).size, 1, 'single-flight');
    assert.equal(requests, 2, 'one discovery request and one token request');
    const claims = await verify(tokens[0] ?? '');
    assert.equal(claims.client_id, c.client_id);
    assert.deepEqual(claims.scp, ['a', 'b']);

    await projection.renew();
    client.clear();
    const renewed = await client.getToken({ audience: 'calendar', scope: 'a' });
    assert.equal((await verify(renewed)).client_id, c.client_id);
    projection.stop();
  });

  it('a JWT-SVID from a function, jwt-spiffe', async () => {
    const c = await register(spire.url, 'spiffe://prod.example/ns/apps/sa/calendar-reader');
    const client = createTokenClient({
      issuer: tessera.url,
      clientAssertion: () => spire.jwtSvid({ path: '/ns/apps/sa/calendar-reader', audience: tessera.url }),
      clientAssertionType: 'jwt-spiffe',
    });
    const claims = await verify(await client.getToken({ audience: 'calendar' }));
    assert.equal(claims.client_id, c.client_id);
  });

  it('an identity two clients accept needs client_id', async () => {
    const subject = 'system:serviceaccount:apps:shared';
    const [first, second] = [
      await register(cluster.issuer as string, subject),
      await register(cluster.issuer as string, subject),
    ];
    const assertion = () => serviceAccountToken('shared');
    const anonymous = createTokenClient({ issuer: tessera.url, clientAssertion: assertion });
    const refused = await anonymous.getToken({ audience: 'calendar' }).catch((e: unknown) => e);
    assert.ok(refused instanceof TokenEndpointError, String(refused));
    assert.equal(refused.status, 401);
    assert.equal(refused.error, 'invalid_client');
    for (const c of [first, second]) {
      const named = createTokenClient({ issuer: tessera.url, clientId: c?.client_id, clientAssertion: assertion });
      assert.equal((await verify(await named.getToken({ audience: 'calendar' }))).client_id, c?.client_id);
    }
  });

  it('a token of a service account no client accepts: 401 invalid_client', async () => {
    const client = createTokenClient({ issuer: tessera.url, clientAssertion: () => serviceAccountToken('nobody') });
    await assert.rejects(client.getToken({ audience: 'calendar' }), {
      name: 'TokenEndpointError',
      status: 401,
      error: 'invalid_client',
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { type StandInIssuer, startStandInIssuer } from './support/stand-in-issuer.js';
import { startTessera, type TesseraProcess } from './support/tessera-process.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const JWT_SPIFFE = 'urn:ietf:params:oauth:client-assertion-type:jwt-spiffe';
const SA = 'system:serviceaccount:payments:pdf-caller';

/**
 * A workload without a secret, as users run it: a real Tessera process, a
 * platform issuer on loopback (discovery + JWKS, or a SPIFFE bundle), and
 * oauth4webapi as the workload's OAuth client, with a client authentication
 * function that sends the platform's token as the client assertion.
 */
describe('trusted issuers: a third-party client authenticating with its platform token', () => {
  let t: TesseraProcess;
  let as: oauth.AuthorizationServer;
  let k8s: StandInIssuer;
  const options = { [oauth.allowInsecureRequests]: true };
  const now = () => Math.floor(Date.now() / 1000);

  /** oauth4webapi's ClientAuth: the platform token in client_assertion, and client_id only when asked to. */
  const platformAuth =
    (token: () => Promise<string>, type = JWT_BEARER, sendClientId = false): oauth.ClientAuth =>
    async (_as, client, body) => {
      if (sendClientId) body.set('client_id', client.client_id);
      body.set('client_assertion_type', type);
      body.set('client_assertion', await token());
    };

  before(async () => {
    k8s = await startStandInIssuer({ alg: 'ES256' });
    t = await startTessera();
    const issuer = new URL(t.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options));
    const r = await t.admin('POST', '/admin/trusted-issuers', { issuer: k8s.url, max_token_lifetime: 3600 });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });
  after(async () => {
    await t?.stop();
    await k8s?.close();
  });

  it('advertises federated_jwt in discovery', () => {
    assert.ok(as.token_endpoint_auth_methods_supported?.includes('federated_jwt'));
  });

  it('gets a token with a Kubernetes-shaped service-account token, no client_id, and validates it', async () => {
    const c = await t.createClient({
      token_endpoint_auth_method: 'federated_jwt',
      federated_identities: [{ issuer: k8s.url, subject: SA }],
      scope: 'pdf.render',
      audience: ['pdf'],
    });
    assert.equal(c.client_secret, undefined);
    const saToken = await k8s.sign({ iss: k8s.url, sub: SA, aud: [t.url], iat: now(), nbf: now(), exp: now() + 600 });
    const client: oauth.Client = { client_id: c.client_id };
    const auth = platformAuth(async () => saToken);
    for (let i = 0; i < 3; i++) {
      const response = await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'pdf.render' }, options);
      const tokens = await oauth.processClientCredentialsResponse(as, client, response);
      const request = new Request('http://pdf.test/render', {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      const claims = await oauth.validateJwtAccessToken(as, request, 'pdf', options);
      assert.equal(claims.client_id, c.client_id);
      assert.equal(claims.scope, 'pdf.render');
    }
    // The same token, reused: its keys were fetched once.
    assert.equal(k8s.requests.jwks, 1);
  });

  it('is refused with invalid_client, whatever is wrong, and oauth4webapi surfaces it', async () => {
    const c = await t.createClient({
      token_endpoint_auth_method: 'federated_jwt',
      federated_identities: [{ issuer: k8s.url, subject: 'system:serviceaccount:ci:deployer' }],
    });
    const client: oauth.Client = { client_id: c.client_id };
    for (const claims of [
      { aud: 'https://elsewhere.example' },
      { exp: now() + 7200 },
      { sub: 'system:serviceaccount:ci:someone-else' },
    ]) {
      const token = await k8s.sign({
        iss: k8s.url,
        sub: 'system:serviceaccount:ci:deployer',
        aud: t.url,
        iat: now(),
        exp: now() + 600,
        ...claims,
      });
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        client,
        platformAuth(async () => token, JWT_BEARER, true),
        {},
        options,
      );
      assert.equal(response.status, 401);
      assert.deepEqual(await response.clone().json(), {
        error: 'invalid_client',
        error_description: 'client authentication failed',
      });
      await assert.rejects(oauth.processClientCredentialsResponse(as, client, response));
    }
    assert.doesNotMatch(t.output(), /"level":50/, 'no server error logged');
  });

  it('takes a JWT-SVID by jwt-spiffe, its keys from a SPIFFE bundle endpoint', async () => {
    const spire = await startStandInIssuer({ kind: 'spiffe' });
    try {
      const ti = await t.admin('POST', '/admin/trusted-issuers', {
        issuer: spire.url,
        kind: 'spiffe',
        jwks_uri: spire.jwksUri,
        trust_domain: 'example.org',
        max_token_lifetime: 300,
      });
      assert.equal(ti.status, 201, JSON.stringify(ti.body));
      const spiffeId = 'spiffe://example.org/ns/payments/sa/pdf-caller';
      const c = await t.createClient({
        token_endpoint_auth_method: 'federated_jwt',
        federated_identities: [{ issuer: spire.url, subject: spiffeId }],
      });
      const client: oauth.Client = { client_id: c.client_id };
      const svid = () => spire.sign({ sub: spiffeId, aud: [t.url], iat: now(), exp: now() + 300 });
      const tokens = await oauth.processClientCredentialsResponse(
        as,
        client,
        await oauth.clientCredentialsGrantRequest(as, client, platformAuth(svid, JWT_SPIFFE), {}, options),
      );
      assert.equal(tokens.token_type, 'bearer');
    } finally {
      await spire.close();
    }
  });
});

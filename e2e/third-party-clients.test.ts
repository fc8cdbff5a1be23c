import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * The server as users meet it: a real process, driven by independent,
 * widely used OAuth clients (openid-client, oauth4webapi) and verified with jose.
 */
describe('third-party OAuth clients against a real Tessera process', () => {
  let t: TesseraProcess;
  let issuer: URL;

  before(async () => {
    t = await startTessera();
    issuer = new URL(t.url);
  });
  after(() => t.stop());

  describe('openid-client', () => {
    const discover = (clientId: string, auth: client.ClientAuth) =>
      client.discovery(issuer, clientId, undefined, auth, { execute: [client.allowInsecureRequests] });

    it('discovers, gets a token with client_secret_basic, and the token verifies with jose', async () => {
      const c = await t.createClient({ scope: 'event.view event.create', audience: ['event'] });
      const config = await discover(c.client_id, client.ClientSecretBasic(c.client_secret as string));
      const tokens = await client.clientCredentialsGrant(config, { scope: 'event.create', audience: 'event' });
      assert.equal(tokens.token_type, 'bearer');
      assert.equal(tokens.scope, 'event.create');
      assert.equal(tokens.expires_in, 3600);
      const meta = config.serverMetadata();
      const jwks = createRemoteJWKSet(new URL(meta.jwks_uri as string));
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
        issuer: t.url,
        audience: 'event',
        typ: 'at+jwt',
      });
      assert.equal(protectedHeader.alg, 'RS256');
      assert.equal(payload.client_id, c.client_id);
      assert.deepEqual(payload.scp, ['event.create']);
    });

    it('uses client_secret_post, introspects and revokes', async () => {
      const c = await t.createClient({
        scope: 'a',
        audience: ['event'],
        token_endpoint_auth_method: 'client_secret_post',
      });
      const config = await discover(c.client_id, client.ClientSecretPost(c.client_secret as string));
      const { access_token } = await client.clientCredentialsGrant(config);
      const active = await client.tokenIntrospection(config, access_token);
      assert.equal(active.active, true);
      assert.equal(active.client_id, c.client_id);
      await client.tokenRevocation(config, access_token);
      assert.equal((await client.tokenIntrospection(config, access_token)).active, false);
    });

    it("sends a client_secret_basic client's secret in the body, and a client_secret_post client's in Basic", async () => {
      const basicClient = await t.createClient({ scope: 'a' });
      const postClient = await t.createClient({ scope: 'a', token_endpoint_auth_method: 'client_secret_post' });
      for (const config of [
        await discover(basicClient.client_id, client.ClientSecretPost(basicClient.client_secret as string)),
        await discover(postClient.client_id, client.ClientSecretBasic(postClient.client_secret as string)),
      ]) {
        const { access_token } = await client.clientCredentialsGrant(config);
        assert.equal((await client.tokenIntrospection(config, access_token)).active, true);
      }
    });

    it('gets an aud even for a client registered without audiences (RFC 9068 §2.2)', async () => {
      const c = await t.createClient({ scope: 'a' });
      const config = await discover(c.client_id, client.ClientSecretBasic(c.client_secret as string));
      const { access_token } = await client.clientCredentialsGrant(config);
      const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri as string));
      const { payload } = await jwtVerify(access_token, jwks, { issuer: t.url, audience: `${t.url}/resources` });
      assert.equal(payload.aud, `${t.url}/resources`);
    });

    it('authenticates with PrivateKeyJwt (no shared secret)', async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const c = await t.createClient({
        scope: 'a',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] },
      });
      const config = await discover(c.client_id, client.PrivateKeyJwt({ key: privateKey, kid: 'k1' }));
      const { access_token } = await client.clientCredentialsGrant(config);
      assert.equal((await client.tokenIntrospection(config, access_token)).active, true);
    });

    it('authenticates with ClientSecretJwt', async () => {
      const c = await t.createClient({ scope: 'a', token_endpoint_auth_method: 'client_secret_jwt' });
      const config = await discover(c.client_id, client.ClientSecretJwt(c.client_secret as string));
      const { access_token } = await client.clientCredentialsGrant(config);
      assert.ok(access_token);
      // introspection and revocation accept the same method (fresh jti each call)
      assert.equal((await client.tokenIntrospection(config, access_token)).active, true);
    });

    it('surfaces the server’s RFC 6749 errors', async () => {
      const c = await t.createClient({ scope: 'a' });
      const config = await discover(c.client_id, client.ClientSecretBasic('wrong-secret'));
      // A 401 carries WWW-Authenticate (RFC 6749 §5.2), which openid-client surfaces as a challenge.
      await assert.rejects(client.clientCredentialsGrant(config), (err: client.WWWAuthenticateChallengeError) => {
        assert.equal(err.code, 'OAUTH_WWW_AUTHENTICATE_CHALLENGE');
        assert.equal(err.status, 401);
        assert.equal(err.cause[0]?.scheme, 'basic');
        return true;
      });
      const good = await discover(c.client_id, client.ClientSecretBasic(c.client_secret as string));
      await assert.rejects(client.clientCredentialsGrant(good, { scope: 'nope' }), { error: 'invalid_scope' });
    });
  });

  describe('oauth4webapi', () => {
    let as: oauth.AuthorizationServer;
    const options = { [oauth.allowInsecureRequests]: true };

    before(async () => {
      as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options));
    });

    it('reads the RFC 8414 metadata the contract requires', () => {
      assert.equal(as.issuer, t.url);
      assert.ok(as.grant_types_supported?.includes('client_credentials'));
      for (const m of ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'client_secret_jwt']) {
        assert.ok(as.token_endpoint_auth_methods_supported?.includes(m), m);
      }
      assert.ok(as.introspection_endpoint?.startsWith(t.url));
      assert.ok(as.revocation_endpoint?.startsWith(t.url));
    });

    it('gets a token with ClientSecretBasic, validates it as an RFC 9068 access token', async () => {
      const c = await t.createClient({ scope: 'event.view', audience: ['calendar'] });
      const cl: oauth.Client = { client_id: c.client_id };
      const auth = oauth.ClientSecretBasic(c.client_secret as string);
      const response = await oauth.clientCredentialsGrantRequest(as, cl, auth, { scope: 'event.view' }, options);
      const tokens = await oauth.processClientCredentialsResponse(as, cl, response);
      assert.equal(tokens.token_type, 'bearer');
      const request = new Request('http://calendar.test/events', {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      const claims = await oauth.validateJwtAccessToken(as, request, 'calendar', options);
      assert.equal(claims.client_id, c.client_id);
      assert.equal(claims.sub, c.client_id);
      assert.equal(claims.scope, 'event.view');
    });

    for (const [name, auth] of [
      ['PrivateKeyJwt', 'private_key_jwt'],
      ['ClientSecretJwt', 'client_secret_jwt'],
    ] as const) {
      it(`authenticates with ${name} at the token, introspection and revocation endpoints`, async () => {
        let clientAuth: oauth.ClientAuth;
        let c: { client_id: string; client_secret?: string };
        if (auth === 'private_key_jwt') {
          const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
          c = await t.createClient({
            scope: 'a',
            token_endpoint_auth_method: auth,
            jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'ed' }] },
          });
          clientAuth = oauth.PrivateKeyJwt({ key: privateKey, kid: 'ed' });
        } else {
          c = await t.createClient({ scope: 'a', token_endpoint_auth_method: auth });
          clientAuth = oauth.ClientSecretJwt(c.client_secret as string);
        }
        const cl: oauth.Client = { client_id: c.client_id };
        const tokens = await oauth.processClientCredentialsResponse(
          as,
          cl,
          await oauth.clientCredentialsGrantRequest(as, cl, clientAuth, {}, options),
        );
        const introspect = async () =>
          oauth.processIntrospectionResponse(
            as,
            cl,
            await oauth.introspectionRequest(as, cl, clientAuth, tokens.access_token, options),
          );
        assert.equal((await introspect()).active, true);
        await oauth.processRevocationResponse(
          await oauth.revocationRequest(as, cl, clientAuth, tokens.access_token, options),
        );
        assert.equal((await introspect()).active, false);
      });
    }

    it('gets opaque tokens that introspect as active', async () => {
      const c = await t.createClient({ scope: 'a', audience: ['pdf'], access_token_format: 'opaque' });
      const cl: oauth.Client = { client_id: c.client_id };
      const auth = oauth.ClientSecretBasic(c.client_secret as string);
      const tokens = await oauth.processClientCredentialsResponse(
        as,
        cl,
        await oauth.clientCredentialsGrantRequest(as, cl, auth, {}, options),
      );
      assert.match(tokens.access_token, /^tessera_at_/);
      const info = await oauth.processIntrospectionResponse(
        as,
        cl,
        await oauth.introspectionRequest(as, cl, auth, tokens.access_token, options),
      );
      assert.equal(info.active, true);
      assert.equal(info.aud, 'pdf');
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * DPoP (RFC 9449) as independent clients speak it: oauth4webapi and
 * openid-client get DPoP-bound tokens from a real Tessera process, with and
 * without server nonces, and oauth4webapi's own resource-server check
 * accepts a bound token with its proof.
 */

async function thumbprint(keyPair: oauth.CryptoKeyPair): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
}

/** Records each response status a client saw, passing the request on. */
function recordingFetch(statuses: number[]): typeof fetch {
  return async (...args: Parameters<typeof fetch>) => {
    const r = await fetch(...args);
    statuses.push(r.status);
    return r;
  };
}

for (const nonce of ['off', 'required'] as const)
  describe(`independent DPoP clients against a real Tessera process (TESSERA_DPOP_NONCE=${nonce})`, () => {
    let t: TesseraProcess;
    let issuer: URL;
    let as: oauth.AuthorizationServer;
    const insecure = { [oauth.allowInsecureRequests]: true };

    before(async () => {
      t = await startTessera({ TESSERA_DPOP_NONCE: nonce });
      issuer = new URL(t.url);
      as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    });
    after(() => t.stop());

    it('publishes dpop_signing_alg_values_supported', () => {
      for (const alg of ['ES256', 'PS256', 'RS256', 'EdDSA'])
        assert.ok(as.dpop_signing_alg_values_supported?.includes(alg));
      for (const alg of ['none', 'HS256']) assert.equal(as.dpop_signing_alg_values_supported?.includes(alg), false);
    });

    it('oauth4webapi: a DPoP token (retrying on use_dpop_nonce), accepted by its own resource-server check', async () => {
      const c = await t.createClient({ scope: 'event.view', audience: ['calendar'] });
      const cl: oauth.Client = { client_id: c.client_id };
      const clientAuth = oauth.ClientSecretBasic(c.client_secret as string);
      const keyPair = await oauth.generateKeyPair('ES256');
      const DPoP = oauth.DPoP(cl, keyPair);
      const request = () => oauth.clientCredentialsGrantRequest(as, cl, clientAuth, {}, { DPoP, ...insecure });

      let tokens: oauth.TokenEndpointResponse;
      let retried = false;
      try {
        tokens = await oauth.processClientCredentialsResponse(as, cl, await request());
      } catch (err) {
        // The client library's own signal: the server asked for a nonce, which the handle now holds.
        assert.ok(oauth.isDPoPNonceError(err), String(err));
        retried = true;
        tokens = await oauth.processClientCredentialsResponse(as, cl, await request());
      }
      assert.equal(retried, nonce === 'required');
      assert.equal(tokens.token_type, 'dpop');
      assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: await thumbprint(keyPair) });

      // A resource request as oauth4webapi makes it (Authorization: DPoP + a proof with ath), checked by oauth4webapi.
      let seen: Request | undefined;
      const capture = async (url: string, init: RequestInit) => {
        seen = new Request(url, init);
        return new Response('{}', { status: 200 });
      };
      await oauth.protectedResourceRequest(
        tokens.access_token,
        'GET',
        new URL('https://calendar.test/events'),
        new Headers(),
        undefined,
        { DPoP, [oauth.customFetch]: capture },
      );
      assert.ok(seen);
      assert.match(seen.headers.get('authorization') ?? '', /^DPoP /);
      const claims = await oauth.validateJwtAccessToken(as, seen, 'calendar', { requireDPoP: true, ...insecure });
      assert.equal(claims.client_id, c.client_id);
      assert.deepEqual(claims.cnf, { jkt: await thumbprint(keyPair) });
    });

    it('openid-client: getDPoPHandle gets a DPoP token (its own nonce retry when asked)', async () => {
      const c = await t.createClient({ scope: 'a', access_token_format: 'opaque' });
      const config = await client.discovery(
        issuer,
        c.client_id,
        undefined,
        client.ClientSecretBasic(c.client_secret as string),
        { execute: [client.allowInsecureRequests] },
      );
      const statuses: number[] = [];
      config[client.customFetch] = recordingFetch(statuses);
      const keyPair = await client.randomDPoPKeyPair('ES256');
      const DPoP = client.getDPoPHandle(config, keyPair);
      const tokens = await client.clientCredentialsGrant(config, {}, { DPoP });
      assert.equal(tokens.token_type, 'dpop');
      assert.deepEqual(statuses, nonce === 'required' ? [400, 200] : [200]);

      // An opaque token: the binding is found by introspection.
      const seen = await client.tokenIntrospection(config, tokens.access_token);
      assert.equal(seen.active, true);
      assert.equal(seen.token_type, 'DPoP');
      assert.deepEqual(seen.cnf, { jkt: await thumbprint(keyPair) });

      // The handle keeps the server's fresh nonce: the next token needs no retry.
      statuses.length = 0;
      await client.clientCredentialsGrant(config, {}, { DPoP });
      assert.deepEqual(statuses, [200]);
    });

    it('openid-client: a client registered with dpop_bound_access_tokens gets no token without a proof', async () => {
      const c = await t.createClient({ scope: 'a', dpop_bound_access_tokens: true });
      const config = await client.discovery(
        issuer,
        c.client_id,
        undefined,
        client.ClientSecretBasic(c.client_secret as string),
        { execute: [client.allowInsecureRequests] },
      );
      await assert.rejects(client.clientCredentialsGrant(config), {
        error: 'invalid_dpop_proof',
        error_description: 'a DPoP proof is required for this client',
      });
      const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
      assert.equal((await client.clientCredentialsGrant(config, {}, { DPoP })).token_type, 'dpop');
    });
  });

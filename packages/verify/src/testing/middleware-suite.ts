import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createDpopNonces } from '../dpop/nonce.js';
import { createVerifier, type Verifier } from '../verifier.js';
import { type DpopKey, dpopKey, proof } from './dpop.js';
import { type LocalIssuer, startLocalIssuer } from './local-issuer.js';

/**
 * What every framework adapter must do, through real HTTP. The app under
 * test exposes:
 *   GET    /events  scope event.view   → 200 {"clientId": req.auth.clientId}
 *   DELETE /events  scope event.delete → 200 (never, in these tests)
 *   GET    /down    a verifier whose JWKS cannot be reached
 *   GET    /strict  the `strict` verifier (DPoP required with nonces, a
 *                    trusted proxy's certificate header), any scope
 *                    → 200 {"clientId", "jkt": req.auth.dpop.jkt, "x5t": req.auth.certificateThumbprint}
 *   GET    /.well-known/oauth-protected-resource
 */
export interface AppUnderTest {
  url: string;
  close(): Promise<void>;
}

export type StartApp = (verifiers: { verifier: Verifier; down: Verifier; strict: Verifier }) => Promise<AppUnderTest>;

const RESOURCE = 'https://calendar.example';
const METADATA_URL = `${RESOURCE}/.well-known/oauth-protected-resource`;
const JSON_TYPE = /^application\/json/;

export function middlewareSuite(name: string, start: StartApp): void {
  describe(`${name} middleware (RFC 6750, RFC 9728)`, () => {
    let iss: LocalIssuer;
    let app: AppUnderTest;
    let key: DpopKey;

    before(async () => {
      iss = await startLocalIssuer();
      key = await dpopKey();
      const verifier = createVerifier({
        issuer: iss.issuer,
        audience: 'calendar',
        resource: { resource: RESOURCE, scopesSupported: ['event.view', 'event.create'] },
      });
      const down = createVerifier({
        issuer: iss.issuer,
        audience: 'calendar',
        jwksUri: 'http://127.0.0.1:9/jwks',
        timeoutMs: 500,
      });
      const strict = createVerifier({
        issuer: iss.issuer,
        audience: 'calendar',
        dpop: { required: true, algs: ['ES256', 'EdDSA'], nonce: createDpopNonces() },
        mtls: { certificateHeader: 'Client-Cert' },
        trustProxy: ['127.0.0.1'],
      });
      app = await start({ verifier, down, strict });
    });
    after(async () => {
      await app?.close();
      await iss?.close();
    });

    const call = async (path: string, init: RequestInit = {}) => {
      const r = await fetch(app.url + path, init);
      return { status: r.status, headers: r.headers, body: (await r.json()) as Record<string, unknown> };
    };
    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

    it('lets a valid token through, with the token on the request', async () => {
      const r = await call('/events', bearer(iss.token()));
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { clientId: 'task-service', scopes: ['event.view', 'event.create'] });
      const again = await call('/events', bearer(iss.token()));
      assert.equal(again.status, 200);
    });

    it('answers 401 with a bare challenge when no token is sent', async () => {
      const r = await call('/events');
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('www-authenticate'), `Bearer resource_metadata="${METADATA_URL}"`);
      assert.match(r.headers.get('content-type') ?? '', JSON_TYPE);
      assert.deepEqual(r.body, { error: 'unauthorized', error_description: 'An access token is required' });
      const basic = await call('/events', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      assert.equal(basic.status, 401);
      assert.equal(basic.headers.get('www-authenticate'), `Bearer resource_metadata="${METADATA_URL}"`);
    });

    it('answers 401 invalid_token for a bad token', async () => {
      const expired = await call('/events', bearer(iss.token({ exp: Math.floor(Date.now() / 1000) - 120 })));
      assert.equal(expired.status, 401);
      assert.equal(
        expired.headers.get('www-authenticate'),
        `Bearer error="invalid_token", error_description="The access token expired", resource_metadata="${METADATA_URL}"`,
      );
      assert.deepEqual(expired.body, { error: 'invalid_token', error_description: 'The access token expired' });
      const wrongAud = await call('/events', bearer(iss.token({ aud: 'files' })));
      assert.equal(wrongAud.status, 401);
      assert.deepEqual(wrongAud.body, {
        error: 'invalid_token',
        error_description: 'The access token is not meant for this resource',
      });
      const garbage = await call('/events', bearer('not-a-token'));
      assert.equal(garbage.status, 401);
      assert.deepEqual(garbage.body, { error: 'invalid_token', error_description: 'The access token is malformed' });
    });

    it('answers 403 insufficient_scope naming the scopes needed', async () => {
      const r = await call('/events', { method: 'DELETE', ...bearer(iss.token()) });
      assert.equal(r.status, 403);
      assert.equal(
        r.headers.get('www-authenticate'),
        `Bearer error="insufficient_scope", error_description="The access token lacks a required scope", scope="event.delete", resource_metadata="${METADATA_URL}"`,
      );
      assert.deepEqual(r.body, {
        error: 'insufficient_scope',
        error_description: 'The access token lacks a required scope',
      });
    });

    it('answers 400 invalid_request for a malformed Authorization header', async () => {
      const empty = await call('/events', { headers: { authorization: 'Bearer ' } });
      assert.equal(empty.status, 400);
      assert.equal(
        empty.headers.get('www-authenticate'),
        `Bearer error="invalid_request", error_description="The bearer token is empty", resource_metadata="${METADATA_URL}"`,
      );
      assert.deepEqual(empty.body, { error: 'invalid_request', error_description: 'The bearer token is empty' });
      const two = await call('/events', { headers: { authorization: `Basic eDp5, Bearer ${iss.token()}` } });
      assert.equal(two.status, 400);
      assert.deepEqual(two.body, {
        error: 'invalid_request',
        error_description: 'The Authorization header has more than one scheme',
      });
      const token = iss.token();
      const both = await call(`/events?access_token=${token}`, bearer(token));
      assert.equal(both.status, 400);
      assert.deepEqual(both.body, {
        error: 'invalid_request',
        error_description: 'The access token was sent in more than one way',
      });
      const repeated = await rawGet(`${app.url}/events`, [`Bearer ${token}`, `Bearer ${token}`]);
      assert.equal(repeated.status, 400);
      assert.deepEqual(JSON.parse(repeated.body), {
        error: 'invalid_request',
        error_description: 'More than one Authorization header was sent',
      });
    });

    it('answers 503 when the keys cannot be fetched', async () => {
      const r = await call('/down', bearer(iss.token()));
      assert.equal(r.status, 503);
      assert.equal(r.headers.get('www-authenticate'), null);
      assert.deepEqual(r.body, {
        error: 'temporarily_unavailable',
        error_description: 'The access token cannot be checked right now',
      });
    });

    const dpopCall = async (path: string, token: string, headers: Record<string, string> = {}, htu?: string) =>
      call(path, {
        headers: {
          authorization: `DPoP ${token}`,
          dpop: await proof(key, { htu: htu ?? app.url + path.split('?')[0], accessToken: token }),
          ...headers,
        },
      });

    it('accepts a DPoP-bound token with a proof of the request, without any option (RFC 9449 §7)', async () => {
      const token = iss.token({ cnf: { jkt: key.jkt } });
      const r = await dpopCall('/events?page=2', token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body, { clientId: 'task-service', scopes: ['event.view', 'event.create'] });
      const again = await dpopCall('/events', token);
      assert.equal(again.status, 200, 'cached token, new proof');
    });

    it('refuses a bound token as Bearer, a missing, replayed or misaddressed proof, with 401 and the DPoP challenge', async () => {
      const token = iss.token({ cnf: { jkt: key.jkt } });
      const asBearer = await call('/events', bearer(token));
      assert.equal(asBearer.status, 401);
      assert.equal(
        asBearer.headers.get('www-authenticate'),
        `Bearer error="invalid_token", error_description="The access token is bound to a key and must be sent with the DPoP scheme and a proof", resource_metadata="${METADATA_URL}"`,
      );
      const noProof = await call('/events', { headers: { authorization: `DPoP ${token}` } });
      assert.equal(noProof.status, 401);
      assert.equal(
        noProof.headers.get('www-authenticate'),
        `DPoP error="invalid_dpop_proof", error_description="A DPoP proof is required", algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519", resource_metadata="${METADATA_URL}", Bearer resource_metadata="${METADATA_URL}"`,
      );
      assert.deepEqual(noProof.body, { error: 'invalid_dpop_proof', error_description: 'A DPoP proof is required' });
      const p = await proof(key, { htu: `${app.url}/events`, accessToken: token });
      const headers = { authorization: `DPoP ${token}`, dpop: p };
      assert.equal((await call('/events', { headers })).status, 200);
      const replayed = await call('/events', { headers });
      assert.equal(replayed.status, 401);
      assert.deepEqual(replayed.body, {
        error: 'invalid_dpop_proof',
        error_description: 'The DPoP proof was already used',
      });
      const elsewhere = await dpopCall('/events', token, {}, `${app.url}/other`);
      assert.deepEqual(elsewhere.body, {
        error: 'invalid_dpop_proof',
        error_description: 'The DPoP proof is not for this request',
      });
      const garbage = await call('/events', { headers: { authorization: `DPoP ${token}`, dpop: 'e30.e30.' } });
      assert.equal(garbage.status, 401);
      assert.equal(garbage.body.error, 'invalid_dpop_proof');
      const wrongMethod = await call('/events', {
        method: 'DELETE',
        headers: {
          authorization: `DPoP ${token}`,
          dpop: await proof(key, { htu: `${app.url}/events`, accessToken: token }),
        },
      });
      assert.equal(wrongMethod.status, 401);
      assert.equal(wrongMethod.body.error_description, 'The DPoP proof is not for this request');
    });

    it('ignores a certificate header from an untrusted peer', async () => {
      const der = Buffer.concat([Buffer.from([0x30]), randomBytes(200)]);
      const token = iss.token({ cnf: { 'x5t#S256': createHash('sha256').update(der).digest('base64url') } });
      const r = await call('/events', {
        headers: { authorization: `Bearer ${token}`, 'client-cert': `:${der.toString('base64')}:` },
      });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, {
        error: 'invalid_token',
        error_description: 'The access token is bound to a client certificate that was not presented',
      });
    });

    it('with DPoP required: nonce round trip, forwarded URL and certificate header from a trusted proxy', async () => {
      const der = Buffer.concat([Buffer.from([0x30]), randomBytes(200)]);
      const x5t = createHash('sha256').update(der).digest('base64url');
      const token = iss.token({ cnf: { jkt: key.jkt, 'x5t#S256': x5t } });
      const proxied = {
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'calendar.example',
        'client-cert': `:${der.toString('base64')}:`,
      };
      const htu = 'https://calendar.example/strict';
      const first = await dpopCall('/strict', token, proxied, htu);
      assert.equal(first.status, 401);
      assert.equal(
        first.headers.get('www-authenticate'),
        'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256 EdDSA"',
      );
      const nonce = first.headers.get('dpop-nonce');
      assert.ok(nonce);
      const withNonce = await proof(key, { htu, accessToken: token, claims: { nonce } });
      const ok = await call('/strict', { headers: { ...proxied, authorization: `DPoP ${token}`, dpop: withNonce } });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.deepEqual(ok.body, { clientId: 'task-service', jkt: key.jkt, x5t });
      const noCert = await call('/strict', {
        headers: {
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'calendar.example',
          authorization: `DPoP ${token}`,
          dpop: await proof(key, { htu, accessToken: token, claims: { nonce } }),
        },
      });
      assert.equal(noCert.status, 401);
      assert.equal(
        noCert.body.error_description,
        'The access token is bound to a client certificate that was not presented',
      );
      const plain = await call('/strict', bearer(iss.token()));
      assert.equal(plain.status, 401);
      assert.equal(
        plain.headers.get('www-authenticate'),
        'DPoP error="invalid_token", error_description="This resource requires a DPoP-bound access token", algs="ES256 EdDSA"',
      );
      const none = await call('/strict');
      assert.equal(none.headers.get('www-authenticate'), 'DPoP algs="ES256 EdDSA"');
    });

    it('serves the protected resource metadata (RFC 9728)', async () => {
      const r = await call('/.well-known/oauth-protected-resource');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', JSON_TYPE);
      assert.deepEqual(r.body, {
        resource: RESOURCE,
        authorization_servers: [iss.issuer],
        scopes_supported: ['event.view', 'event.create'],
        bearer_methods_supported: ['header'],
      });
    });
  });
}

/** fetch merges repeated headers; node:http can send them as separate lines. */
function rawGet(url: string, authorization: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setHeader('authorization', authorization);
    req.on('error', reject);
    req.end();
  });
}

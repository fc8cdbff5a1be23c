import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createVerifier, type Verifier } from '../verifier.js';
import { type LocalIssuer, startLocalIssuer } from './local-issuer.js';

/**
 * What every framework adapter must do, through real HTTP. The app under
 * test exposes:
 *   GET    /events  scope event.view   → 200 {"clientId": req.auth.clientId}
 *   DELETE /events  scope event.delete → 200 (never, in these tests)
 *   GET    /down    a verifier whose JWKS cannot be reached
 *   GET    /.well-known/oauth-protected-resource
 */
export interface AppUnderTest {
  url: string;
  close(): Promise<void>;
}

export type StartApp = (verifiers: { verifier: Verifier; down: Verifier }) => Promise<AppUnderTest>;

const RESOURCE = 'https://calendar.example';
const METADATA_URL = `${RESOURCE}/.well-known/oauth-protected-resource`;
const JSON_TYPE = /^application\/json/;

export function middlewareSuite(name: string, start: StartApp): void {
  describe(`${name} middleware (RFC 6750, RFC 9728)`, () => {
    let iss: LocalIssuer;
    let app: AppUnderTest;

    before(async () => {
      iss = await startLocalIssuer();
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
      app = await start({ verifier, down });
    });
    after(async () => {
      await app?.close();
      await iss?.close();
    });

    const call = async (path: string, init: RequestInit = {}) => {
      const r = await fetch(app.url + path, init);
      return { status: r.status, headers: r.headers, body: await r.json() };
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

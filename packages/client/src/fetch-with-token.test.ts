import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createTokenClient, type TokenClient } from './index.js';
import { type LocalServer, sendJson, startLocalServer } from './testing/local-server.js';

/**
 * A counting token endpoint and a resource server, both real HTTP servers.
 * The resource server accepts only the token named in `accepted`.
 */
describe('client.fetch', () => {
  let authServer: LocalServer;
  let resourceServer: LocalServer;
  let issued = 0;
  let accepted = '';
  let challenge = 'Bearer error="invalid_token", error_description="token revoked"';
  const seen: { authorization: string | undefined; body: string }[] = [];
  let client: TokenClient;

  before(async () => {
    authServer = await startLocalServer((request, response) => {
      if (request.url === '/.well-known/oauth-authorization-server') {
        return sendJson(response, 200, { issuer: authServer.url, token_endpoint: `${authServer.url}/token` });
      }
      issued++;
      sendJson(response, 200, { access_token: `tok-${issued}`, token_type: 'Bearer', expires_in: 3600 });
    });
    resourceServer = await startLocalServer((request, response) => {
      seen.push({ authorization: request.headers.authorization, body: request.body });
      if (request.headers.authorization === `Bearer ${accepted}`) return sendJson(response, 200, { ok: true });
      sendJson(response, 401, { error: 'invalid_token' }, { 'www-authenticate': challenge });
    });
  });
  after(async () => {
    await authServer.close();
    await resourceServer.close();
  });
  beforeEach(() => {
    issued = 0;
    seen.length = 0;
    challenge = 'Bearer error="invalid_token", error_description="token revoked"';
    client = createTokenClient({ issuer: authServer.url, clientId: 'task', clientSecret: 's' });
  });

  it('sends the Bearer token, keeping the caller’s headers', async () => {
    accepted = 'tok-1';
    const response = await client.fetch(
      `${resourceServer.url}/events`,
      { headers: { 'x-trace': '1' } },
      { audience: 'calendar' },
    );
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true });
    assert.equal(seen[0]?.authorization, 'Bearer tok-1');
    assert.equal(issued, 1);
  });

  it('on 401 invalid_token gets a fresh token once and replays the request (body included)', async () => {
    await client.getToken({ audience: 'calendar' }); // tok-1 cached, then revoked
    accepted = 'tok-2';
    const response = await client.fetch(
      `${resourceServer.url}/events`,
      { method: 'POST', body: JSON.stringify({ title: 'standup' }), headers: { 'content-type': 'application/json' } },
      { audience: 'calendar' },
    );
    assert.equal(response.status, 200);
    assert.deepEqual(
      seen.map((s) => s.authorization),
      ['Bearer tok-1', 'Bearer tok-2'],
    );
    assert.equal(seen[1]?.body, '{"title":"standup"}');
    assert.equal(issued, 2);
    assert.equal(await client.getToken({ audience: 'calendar' }), 'tok-2', 'the fresh token is cached');
  });

  it('retries only once', async () => {
    accepted = 'never';
    const response = await client.fetch(`${resourceServer.url}/events`, undefined, { audience: 'calendar' });
    assert.equal(response.status, 401);
    assert.equal(seen.length, 2);
    assert.equal(issued, 2);
  });

  it('does not retry other 401s', async () => {
    accepted = 'never';
    challenge = 'Bearer realm="calendar"';
    const response = await client.fetch(`${resourceServer.url}/events`, undefined, { audience: 'calendar' });
    assert.equal(response.status, 401);
    assert.equal(seen.length, 1);
    assert.equal(issued, 1);
  });

  it('does not replay a streamed body, and returns the 401', async () => {
    accepted = 'never';
    const body = Readable.toWeb(Readable.from(['a', 'b'])) as ReadableStream;
    const response = await client.fetch(
      `${resourceServer.url}/upload`,
      { method: 'POST', body, duplex: 'half' } as RequestInit,
      { audience: 'files' },
    );
    assert.equal(response.status, 401);
    assert.equal(seen.length, 1);
    assert.equal(issued, 1);
  });

  it('many requests hitting 401 together renew the token once', async () => {
    await client.getToken({ audience: 'calendar' });
    accepted = 'tok-2';
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => client.fetch(`${resourceServer.url}/e`, undefined, { audience: 'calendar' })),
    );
    assert.ok(responses.every((r) => r.status === 200));
    assert.equal(issued, 2);
  });

  it('accepts a Request, keeping its headers', async () => {
    accepted = 'tok-1';
    const response = await client.fetch(
      new Request(`${resourceServer.url}/e`, { headers: { 'x-a': '1' } }),
      undefined,
      {
        audience: 'calendar',
      },
    );
    assert.equal(response.status, 200);
    assert.equal(seen[0]?.authorization, 'Bearer tok-1');
  });
});

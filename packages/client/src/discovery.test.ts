import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discoveryUrls } from './discovery.js';
import { createTokenClient, DiscoveryError, type TokenClientOptions } from './index.js';
import { FakeTime } from './testing/fake-time.js';
import { errorResponse, type RecordedRequest, scriptedEndpoint, tokenResponse } from './testing/scripted-endpoint.js';

const issuer = 'https://as.example';

function setup(reply: (request: RecordedRequest) => Response, options: Partial<TokenClientOptions> = {}) {
  const time = new FakeTime();
  const endpoint = scriptedEndpoint(reply);
  const client = createTokenClient({
    issuer,
    clientId: 'c',
    clientSecret: 's',
    fetch: endpoint.fetch,
    clock: time,
    timers: time,
    ...options,
  });
  return { client, time, urls: () => endpoint.requests.map((r) => r.url) };
}

describe('discovery', () => {
  it('builds RFC 8414 and OpenID Connect URLs, also for an issuer with a path', () => {
    assert.deepEqual(discoveryUrls('https://as.example'), [
      'https://as.example/.well-known/oauth-authorization-server',
      'https://as.example/.well-known/openid-configuration',
    ]);
    assert.deepEqual(discoveryUrls('https://as.example/tenant/'), [
      'https://as.example/.well-known/oauth-authorization-server/tenant',
      'https://as.example/tenant/.well-known/openid-configuration',
    ]);
  });

  it('uses RFC 8414 metadata, once, for every key', async () => {
    const { client, urls } = setup((r) =>
      r.url.includes('.well-known') ? Response.json({ issuer, token_endpoint: `${issuer}/t` }) : tokenResponse('x'),
    );
    await Promise.all([client.getToken({ audience: 'a' }), client.getToken({ audience: 'b' })]);
    await client.getToken({ audience: 'c' });
    assert.deepEqual(urls(), [
      `${issuer}/.well-known/oauth-authorization-server`,
      `${issuer}/t`,
      `${issuer}/t`,
      `${issuer}/t`,
    ]);
  });

  it('falls back to openid-configuration when the RFC 8414 document is missing', async () => {
    const { client, urls } = setup((r) => {
      if (r.url.endsWith('/oauth-authorization-server')) return new Response('not found', { status: 404 });
      if (r.url.endsWith('/openid-configuration')) return Response.json({ issuer, token_endpoint: `${issuer}/t` });
      return tokenResponse('x');
    });
    assert.equal(await client.getToken(), 'x');
    assert.equal(urls().length, 3);
    assert.equal(urls()[2], `${issuer}/t`);
  });

  it('refreshes the metadata after discoveryMaxAge, keeping the old one if the refresh fails', async () => {
    let down = false;
    const { client, time, urls } = setup(
      (r) => {
        if (r.url.includes('.well-known'))
          return down ? errorResponse(503) : Response.json({ issuer, token_endpoint: `${issuer}/t` });
        return tokenResponse('x', 10);
      },
      { discoveryMaxAge: 60_000, retry: { maxAttempts: 1 } },
    );
    await client.getToken();
    down = true;
    await time.advance(61_000);
    assert.equal(await client.getToken(), 'x');
    assert.deepEqual(urls().slice(2), [`${issuer}/.well-known/oauth-authorization-server`, `${issuer}/t`]);
  });

  it('refuses metadata naming another issuer (RFC 8414 §3.3), and does not retry that', async () => {
    const { client, urls } = setup(() =>
      Response.json({ issuer: 'https://evil.example', token_endpoint: 'https://evil.example/t' }),
    );
    const error = await client.getToken().catch((e: unknown) => e);
    assert.ok(error instanceof DiscoveryError);
    assert.equal(error.code, 'ERR_DISCOVERY');
    assert.equal(urls().length, 1);
  });

  it('reports missing metadata as DiscoveryError', async () => {
    const { client } = setup(() => new Response('', { status: 404 }));
    await assert.rejects(client.getToken(), (e: unknown) => e instanceof DiscoveryError && e.status === 404);
  });

  it('retries a discovery 5xx like any other', async () => {
    let calls = 0;
    const { client, time } = setup((r) => {
      if (r.url.includes('.well-known'))
        return calls++ === 0 ? errorResponse(502) : Response.json({ issuer, token_endpoint: `${issuer}/t` });
      return tokenResponse('x');
    });
    const token = client.getToken();
    await time.advance(1_000);
    assert.equal(await token, 'x');
  });

  it('skips discovery when tokenEndpoint is given', async () => {
    const { client, urls } = setup(() => tokenResponse('x'), { tokenEndpoint: `${issuer}/direct` });
    await client.getToken();
    assert.deepEqual(urls(), [`${issuer}/direct`]);
  });
});

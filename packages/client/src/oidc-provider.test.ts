import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import Provider, { errors } from 'oidc-provider';
import { createTokenClient, type TokenClientOptions, TokenEndpointError } from './index.js';

/**
 * The same client against an independent server (panva's oidc-provider), to
 * show it needs nothing Tessera-specific. It names audiences with RFC 8707
 * `resource`, and answers with its own token and error shapes.
 */
describe('against oidc-provider', () => {
  let server: Server;
  let issuer: string;
  const secret = 'an-oidc-provider-client-secret-long-enough-for-hs256';
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let rsHmacKey: Uint8Array;

  before(async () => {
    keys = await generateKeyPair('ES256');
    rsHmacKey = new TextEncoder().encode('calendar-resource-server-signing-key-32b');
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const base = { grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: 'a b' };
    const provider = new Provider(issuer, {
      clients: [
        { ...base, client_id: 'basic', client_secret: secret, token_endpoint_auth_method: 'client_secret_basic' },
        { ...base, client_id: 'post', client_secret: secret, token_endpoint_auth_method: 'client_secret_post' },
        { ...base, client_id: 'hs', client_secret: secret, token_endpoint_auth_method: 'client_secret_jwt' },
        {
          ...base,
          client_id: 'pk',
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'pk-1', alg: 'ES256', use: 'sig' }] },
        },
      ],
      scopes: ['a', 'b'],
      features: {
        clientCredentials: { enabled: true },
        devInteractions: { enabled: false },
        resourceIndicators: {
          enabled: true,
          getResourceServerInfo: (_ctx, resource) => {
            if (resource !== 'https://calendar.example/') throw new errors.InvalidTarget();
            return {
              scope: 'a b',
              audience: resource,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: 'HS256', key: rsHmacKey } },
            };
          },
        },
      },
    });
    server.on('request', provider.callback());
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const cases: [string, Omit<TokenClientOptions, 'issuer'>][] = [
    ['client_secret_basic', { clientId: 'basic', clientSecret: secret }],
    ['client_secret_post', { clientId: 'post', clientSecret: secret, authMethod: 'client_secret_post' }],
    ['client_secret_jwt', { clientId: 'hs', clientSecret: secret, authMethod: 'client_secret_jwt' }],
    ['private_key_jwt', { clientId: 'pk', authMethod: 'private_key_jwt' }],
  ];

  for (const [method, options] of cases) {
    it(`gets a JWT for a resource with ${method}`, async () => {
      const urls: string[] = [];
      const client = createTokenClient({
        issuer,
        ...options,
        ...(method === 'private_key_jwt' ? { privateKey: keys.privateKey, keyId: 'pk-1' } : {}),
        audienceParameter: 'resource',
        fetch: (input, init) => {
          urls.push(String(input));
          return fetch(input, init);
        },
      });
      const tokens = await Promise.all(
        Array.from({ length: 20 }, () => client.getToken({ audience: 'https://calendar.example/', scope: 'b a' })),
      );
      assert.equal(new Set(tokens).size, 1);
      const { payload } = await jwtVerify(tokens[0] ?? '', rsHmacKey, {
        issuer,
        audience: 'https://calendar.example/',
      });
      assert.equal(payload.client_id, options.clientId);
      assert.equal(payload.scope, 'a b');
      assert.deepEqual(urls, [`${issuer}/.well-known/oauth-authorization-server`, `${issuer}/token`]);
    });
  }

  it('gets an opaque token without a resource', async () => {
    const client = createTokenClient({ issuer, clientId: 'basic', clientSecret: secret });
    const token = await client.getToken({ scope: 'a' });
    assert.ok(token.length > 20);
  });

  it('surfaces oidc-provider errors as TokenEndpointError', async () => {
    const wrong = createTokenClient({ issuer, clientId: 'basic', clientSecret: 'wrong' });
    await assert.rejects(
      wrong.getToken(),
      (e: unknown) => e instanceof TokenEndpointError && e.error === 'invalid_client',
    );
    const client = createTokenClient({
      issuer,
      clientId: 'basic',
      clientSecret: secret,
      audienceParameter: 'resource',
    });
    await assert.rejects(
      client.getToken({ audience: 'https://payroll.example/' }),
      (e: unknown) => e instanceof TokenEndpointError && e.error === 'invalid_target' && e.status === 400,
    );
  });
});

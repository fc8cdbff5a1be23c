import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { startTessera, type TesseraProcess } from '../../../e2e/support/tessera-process.js';
import { createTokenClient, type TokenClientOptions, TokenEndpointError } from './index.js';

/**
 * The client against the real Tessera server, started as users run it, with
 * each of the four client authentication methods. Needs `npm run build`.
 */
describe('against a real Tessera server', () => {
  let tessera: TesseraProcess;
  let verify: (token: string) => Promise<Record<string, unknown>>;

  before(async () => {
    tessera = await startTessera({ TESSERA_LOG_LEVEL: 'warn' });
    const jwks = createRemoteJWKSet(new URL(`${tessera.url}/.well-known/jwks.json`));
    verify = async (token) =>
      (await jwtVerify(token, jwks, { issuer: tessera.url, audience: 'calendar', typ: 'at+jwt' })).payload;
  });
  after(() => tessera?.stop());

  const register = async (method: string, extra: Record<string, unknown> = {}) =>
    tessera.createClient({ scope: 'a b', audience: ['calendar'], token_endpoint_auth_method: method, ...extra });

  async function getAndCheck(options: Omit<TokenClientOptions, 'issuer'>, clientId: string) {
    let requests = 0;
    const client = createTokenClient({
      issuer: tessera.url,
      ...options,
      fetch: (input, init) => {
        requests++;
        return fetch(input, init);
      },
    });
    const callers = Array.from({ length: 50 }, () => client.getToken({ audience: 'calendar', scope: 'b a' }));
    const tokens = await Promise.all(callers);
    assert.equal(new Set(tokens).size, 1, 'single-flight: one token for all callers');
    assert.equal(requests, 2, 'one discovery request and one token request');
    const claims = await verify(tokens[0] ?? '');
    assert.equal(claims.client_id, clientId);
    assert.equal(claims.sub, clientId);
    assert.deepEqual(claims.scp, ['a', 'b']);
    assert.equal(await client.getToken({ audience: 'calendar', scope: ['a', 'b'] }), tokens[0]);
    return client;
  }

  it('client_secret_basic', async () => {
    const c = await register('client_secret_basic');
    await getAndCheck({ clientId: c.client_id, clientSecret: c.client_secret ?? '' }, c.client_id);
  });

  it('client_secret_post', async () => {
    const c = await register('client_secret_post');
    await getAndCheck(
      { clientId: c.client_id, clientSecret: c.client_secret ?? '', authMethod: 'client_secret_post' },
      c.client_id,
    );
  });

  it('private_key_jwt (ES256 CryptoKey)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const c = await register('private_key_jwt', {
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] },
    });
    assert.equal(c.client_secret, undefined);
    await getAndCheck({ clientId: c.client_id, privateKey, keyId: 'k1', authMethod: 'private_key_jwt' }, c.client_id);
  });

  it('private_key_jwt (RS256 private JWK), fresh assertion per request', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const c = await register('private_key_jwt', {
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'r1', alg: 'RS256', use: 'sig' }] },
    });
    const client = await getAndCheck(
      { clientId: c.client_id, privateKey: { ...(await exportJWK(privateKey)), kid: 'r1', alg: 'RS256' } },
      c.client_id,
    );
    // A second key means a second assertion; a reused jti would be refused as a replay.
    const other = await client.getToken({ audience: 'calendar', scope: 'a' });
    assert.deepEqual((await verify(other)).scp, ['a']);
  });

  it('client_secret_jwt', async () => {
    const c = await register('client_secret_jwt');
    await getAndCheck(
      { clientId: c.client_id, clientSecret: c.client_secret ?? '', authMethod: 'client_secret_jwt' },
      c.client_id,
    );
  });

  it('reports a wrong secret as invalid_client, without retrying', async () => {
    const c = await register('client_secret_basic');
    let requests = 0;
    const client = createTokenClient({
      issuer: tessera.url,
      clientId: c.client_id,
      clientSecret: 'wrong',
      fetch: (input, init) => {
        requests++;
        return fetch(input, init);
      },
    });
    const error = await client.getToken({ audience: 'calendar' }).catch((e: unknown) => e);
    assert.ok(error instanceof TokenEndpointError);
    assert.equal(error.status, 401);
    assert.equal(error.error, 'invalid_client');
    assert.equal(error.errorDescription, 'client authentication failed');
    assert.ok(!error.message.includes('wrong'));
    assert.equal(requests, 2);
  });

  it('reports a scope the client may not have as invalid_scope, and a foreign audience as invalid_target', async () => {
    const c = await register('client_secret_post');
    const client = createTokenClient({
      issuer: tessera.url,
      clientId: c.client_id,
      clientSecret: c.client_secret ?? '',
      authMethod: 'client_secret_post',
    });
    await assert.rejects(client.getToken({ audience: 'calendar', scope: 'admin' }), {
      name: 'TokenEndpointError',
      status: 400,
      error: 'invalid_scope',
    });
    await assert.rejects(client.getToken({ audience: 'payroll' }), {
      name: 'TokenEndpointError',
      status: 400,
      error: 'invalid_target',
    });
  });
});

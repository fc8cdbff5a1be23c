import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { VerifyError } from './errors.js';
import { basicAuthorization } from './introspection.js';
import { createVerifier } from './verifier.js';

/**
 * A second, independent RFC 9068 issuer: oidc-provider with client
 * credentials and JWT access tokens through resource indicators. It serves
 * only OpenID discovery and signs with ES256, so discovery's fallback and
 * key-derived algorithms are exercised with someone else's tokens.
 */
// oidc-provider ships no types. A global `declare module` would leak into the other packages' typecheck,
// so the tests import it through a non-literal specifier and type the slice they use.
const OIDC_PROVIDER: string = 'oidc-provider';
type ProviderClass = new (
  issuer: string,
  configuration: Record<string, unknown>,
) => { callback(): (req: IncomingMessage, res: ServerResponse) => void };

const OPAQUE_RESOURCE = 'https://calendar-opaque.example/';

describe('tokens from oidc-provider', () => {
  let server: Server;
  let issuer: string;
  const client = { client_id: 'task-service', client_secret: 'task-service-secret-that-is-long-enough' };

  before(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const { default: Provider } = (await import(OIDC_PROVIDER)) as { default: ProviderClass };
    const provider = new Provider(issuer, {
      clients: [
        {
          ...client,
          id_token_signed_response_alg: 'ES256',
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
        },
      ],
      jwks: { keys: [{ ...signing, kid: 'op-key-1', alg: 'ES256', use: 'sig' }] },
      scopes: ['event.view', 'event.create'],
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => 'https://calendar.example/',
          useGrantedResource: () => true,
          // oidc-provider refuses to introspect its JWTs ("structured tokens"): the opaque resource is for introspection.
          getResourceServerInfo: (_ctx: unknown, resource: string) => ({
            audience: 'calendar',
            scope: 'event.view event.create',
            accessTokenFormat: resource === OPAQUE_RESOURCE ? 'opaque' : 'jwt',
            accessTokenTTL: 600,
            jwt: { sign: { alg: 'ES256' } },
          }),
        },
      },
    });
    server.on('request', provider.callback());
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function token(scope: string, resource = 'https://calendar.example/'): Promise<string> {
    const r = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(client.client_id, client.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }),
    });
    const body = (await r.json()) as { access_token: string };
    assert.equal(r.status, 200, JSON.stringify(body));
    return body.access_token;
  }

  it('verifies its JWT access tokens after OpenID discovery', async () => {
    const t = await token('event.view');
    const header = JSON.parse(Buffer.from(t.split('.')[0] as string, 'base64url').toString());
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'ES256');
    const verifier = createVerifier({ issuer, audience: 'calendar' });
    const result = await verifier.verify(t, { scope: 'event.view' });
    assert.equal(result.clientId, 'task-service');
    assert.deepEqual(result.scopes, ['event.view']);
    assert.deepEqual(result.audience, ['calendar']);
    await assert.rejects(verifier.verify(t, { scope: 'event.create' }), { code: 'insufficient_scope' });
  });

  it('refuses its tokens where another issuer or audience is expected', async () => {
    const t = await token('event.view');
    const files = createVerifier({ issuer, audience: 'files' });
    await assert.rejects(files.verify(t), (e: unknown) => e instanceof VerifyError && e.code === 'audience_mismatch');
    const other = createVerifier({
      issuer: 'https://tessera.example',
      audience: 'calendar',
      jwksUri: `${issuer}/jwks`,
    });
    await assert.rejects(other.verify(t), { code: 'issuer_mismatch' });
  });

  it('introspects its opaque tokens (RFC 7662) with client_secret_basic', async () => {
    const t = await token('event.view event.create', OPAQUE_RESOURCE);
    const verifier = createVerifier({
      issuer,
      audience: 'calendar',
      introspection: { clientId: client.client_id, clientSecret: client.client_secret },
    });
    const result = await verifier.verify(t, { scope: 'event.create' });
    assert.equal(result.format, 'introspected');
    assert.equal(result.clientId, 'task-service');
  });
});

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { JWT_BEARER_ASSERTION_TYPE } from './client-assertion.js';
import { type AuthenticatedRequest, basicCredentials, createClientAuthentication } from './client-auth.js';
import { createTokenClient } from './index.js';
import { scriptedEndpoint, tokenResponse } from './testing/scripted-endpoint.js';

const issuer = 'https://as.example';
const now = Date.UTC(2030, 0, 1);

async function apply(options: Parameters<typeof createClientAuthentication>[0]) {
  const request: AuthenticatedRequest = { headers: {}, body: new URLSearchParams() };
  await createClientAuthentication(options).apply(request, issuer, now);
  return request;
}

describe('client_secret_basic', () => {
  it('form-urlencodes id and secret before base64 (RFC 6749 §2.3.1)', () => {
    const header = basicCredentials('svc:task one', 'p@ss wörd+/%=&:');
    const decoded = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString();
    assert.equal(decoded, 'svc%3Atask+one:p%40ss+w%C3%B6rd%2B%2F%25%3D%26%3A');
    const [id, secret] = decoded.split(':').map((p) => decodeURIComponent(p.replace(/\+/g, ' ')));
    assert.deepEqual([id, secret], ['svc:task one', 'p@ss wörd+/%=&:']);
  });

  it('is the default with a secret, and puts nothing in the body', async () => {
    const request = await apply({ clientId: 'c', clientSecret: 's' });
    assert.equal(request.headers.authorization, `Basic ${Buffer.from('c:s').toString('base64')}`);
    assert.equal(request.body.toString(), '');
  });
});

describe('client_secret_post', () => {
  it('puts id and secret in the body', async () => {
    const request = await apply({ clientId: 'c', clientSecret: 's', authMethod: 'client_secret_post' });
    assert.deepEqual(Object.fromEntries(request.body), { client_id: 'c', client_secret: 's' });
    assert.equal(request.headers.authorization, undefined);
  });
});

describe('client_secret_jwt', () => {
  it('signs an RFC 7523 assertion with the secret (HS256)', async () => {
    const secret = 'a-long-enough-shared-secret-for-hs256-0123456789';
    const request = await apply({ clientId: 'c', clientSecret: secret, authMethod: 'client_secret_jwt' });
    assert.equal(request.body.get('client_assertion_type'), JWT_BEARER_ASSERTION_TYPE);
    assert.equal(request.body.get('client_id'), 'c');
    const assertion = request.body.get('client_assertion') ?? '';
    const { payload, protectedHeader } = await jwtVerify(assertion, new TextEncoder().encode(secret), {
      currentDate: new Date(now),
    });
    assert.equal(protectedHeader.alg, 'HS256');
    assert.equal(payload.iss, 'c');
    assert.equal(payload.sub, 'c');
    assert.equal(payload.aud, issuer);
    assert.equal(payload.iat, now / 1000);
    assert.equal(payload.exp, now / 1000 + 60);
    assert.equal(typeof payload.jti, 'string');
  });
});

describe('private_key_jwt', () => {
  it('signs with a KeyObject, a CryptoKey or a private JWK, inferring alg and using a fresh jti', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = await generateKeyPair('ES256', { extractable: true });
    const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const cases = [
      { key: rsa.privateKey, verifyWith: rsa.publicKey, alg: 'RS256', kid: undefined },
      { key: ec.privateKey, verifyWith: ec.publicKey, alg: 'ES256', kid: undefined },
      {
        key: { ...(await exportJWK(ed.privateKey)), kid: 'ed-1' },
        verifyWith: ed.publicKey,
        alg: 'EdDSA',
        kid: 'ed-1',
      },
    ];
    for (const { key, verifyWith, alg, kid } of cases) {
      const jtis = new Set<string>();
      for (let i = 0; i < 2; i++) {
        const request = await apply({ clientId: 'c', privateKey: key });
        const assertion = request.body.get('client_assertion') ?? '';
        const header = decodeProtectedHeader(assertion);
        assert.equal(header.alg, alg);
        assert.equal(header.kid, kid);
        const { payload } = await jwtVerify(assertion, verifyWith, { currentDate: new Date(now), audience: issuer });
        assert.equal(payload.iss, 'c');
        assert.equal(payload.sub, 'c');
        assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 60);
        jtis.add(String(payload.jti));
      }
      assert.equal(jtis.size, 2, `fresh jti for ${alg}`);
    }
  });

  it('hands the claims to a custom signer (KMS, HSM)', async () => {
    const seen: unknown[] = [];
    const request = await apply({
      clientId: 'c',
      signer: (claims) => {
        seen.push(claims);
        return 'signed.by.kms';
      },
      assertionLifetime: 30_000,
    });
    assert.equal(request.body.get('client_assertion'), 'signed.by.kms');
    assert.deepEqual(Object.keys(seen[0] as object).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'sub']);
    assert.equal((seen[0] as { exp: number }).exp - (seen[0] as { iat: number }).iat, 30);
  });

  it('addresses the assertion to the issuer the discovery document names', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const endpoint = scriptedEndpoint((request) =>
      request.url.endsWith('/oauth-authorization-server')
        ? Response.json({ issuer, token_endpoint: `${issuer}/token` })
        : tokenResponse('t'),
    );
    const client = createTokenClient({ issuer, clientId: 'c', privateKey, keyId: 'k', fetch: endpoint.fetch });
    await client.getToken();
    const assertion = endpoint.requests[1]?.form.get('client_assertion') ?? '';
    const { payload, protectedHeader } = await jwtVerify(assertion, publicKey, { audience: issuer, issuer: 'c' });
    assert.equal(protectedHeader.kid, 'k');
    assert.equal(payload.sub, 'c');
  });
});

import assert from 'node:assert/strict';
import { createHash, webcrypto } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { calculateJwkThumbprint, EmbeddedJWK, type JWK, jwtVerify } from 'jose';
import { TargetNormalizer } from './cache-key.js';
import { createTokenClient, InvalidTokenResponseError, type TokenClient, TokenClientConfigError } from './index.js';
import { type LocalServer, sendJson, startLocalServer } from './testing/local-server.js';

interface SeenProof {
  jwk: JWK;
  jkt: string;
  claims: Record<string, unknown>;
}

/** Checks a DPoP proof with jose, as a server would (RFC 9449 §4.3), and returns what it held. */
async function verifyProof(proof: string | undefined): Promise<SeenProof> {
  assert.ok(proof, 'a DPoP header');
  const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' });
  const jwk = protectedHeader.jwk as JWK;
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(jwk[member as keyof JWK], undefined);
  assert.ok(Math.abs((payload.iat as number) - Date.now() / 1000) < 5);
  assert.equal(typeof payload.jti, 'string');
  return { jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256'), claims: payload as Record<string, unknown> };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/**
 * A token endpoint and a resource server, both real HTTP servers, that
 * check every DPoP proof with jose. Each asks once for a nonce.
 */
describe('DPoP (RFC 9449)', () => {
  let as: LocalServer;
  let rs: LocalServer;
  let tokenProofs: SeenProof[];
  let resourceProofs: SeenProof[];
  let resourceAuth: (string | undefined)[];
  let tokenType: string;
  let issued: number;
  let client: TokenClient;

  /** An assertion failing inside a stub answers 400 at once (a throw would leave the client to time out). */
  const checked =
    (handler: Parameters<typeof startLocalServer>[0]): Parameters<typeof startLocalServer>[0] =>
    async (request, response) => {
      try {
        await handler(request, response);
      } catch (error) {
        failures.push(String(error));
        sendJson(response, 400, { error: 'invalid_request', error_description: 'stub assertion failed' });
      }
    };
  let failures: string[] = [];

  before(async () => {
    as = await startLocalServer(
      checked(async (request, response) => {
        if (request.url === '/.well-known/oauth-authorization-server') {
          return sendJson(response, 200, { issuer: as.url, token_endpoint: `${as.url}/token` });
        }
        if (request.headers.dpop === undefined) {
          // A server that binds a token the client did not ask to bind.
          return sendJson(response, 200, { access_token: 'tok-unasked', token_type: 'DPoP', expires_in: 3600 });
        }
        const seen = await verifyProof(request.headers.dpop as string | undefined);
        tokenProofs.push(seen);
        assert.equal(seen.claims.htm, 'POST');
        assert.equal(seen.claims.htu, `${as.url}/token`);
        assert.equal(seen.claims.ath, undefined);
        if (seen.claims.nonce !== 'as-nonce-1') {
          return sendJson(response, 400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': 'as-nonce-1' });
        }
        issued++;
        sendJson(response, 200, { access_token: `tok-${issued}`, token_type: tokenType, expires_in: 3600 });
      }),
    );
    rs = await startLocalServer(
      checked(async (request, response) => {
        resourceAuth.push(request.headers.authorization);
        if (!request.headers.authorization?.startsWith('DPoP ')) return sendJson(response, 200, { bearer: true });
        const token = request.headers.authorization.slice(5);
        const seen = await verifyProof(request.headers.dpop as string | undefined);
        resourceProofs.push(seen);
        assert.equal(seen.claims.htm, request.method);
        assert.equal(seen.claims.htu, `${rs.url}/events`, 'without the query');
        assert.equal(seen.claims.ath, sha256(token));
        if (seen.claims.nonce !== 'rs-nonce-1') {
          return sendJson(
            response,
            401,
            { error: 'use_dpop_nonce' },
            {
              'www-authenticate':
                'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256"',
              'dpop-nonce': 'rs-nonce-1',
            },
          );
        }
        if (token === 'tok-1' && request.headers['x-revoked']) {
          return sendJson(
            response,
            401,
            { error: 'invalid_token' },
            { 'www-authenticate': 'DPoP error="invalid_token", algs="ES256"' },
          );
        }
        sendJson(response, 200, { token, body: request.body });
      }),
    );
  });
  after(async () => {
    await as?.close();
    await rs?.close();
  });
  afterEach(() => assert.deepEqual(failures, []));
  beforeEach(() => {
    failures = [];
    tokenProofs = [];
    resourceProofs = [];
    resourceAuth = [];
    tokenType = 'DPoP';
    issued = 0;
    client = createTokenClient({ issuer: as.url, clientId: 'task', clientSecret: 's', dpop: true });
  });

  it('proves the key at the token endpoint, retrying once with the nonce it asks for', async () => {
    assert.equal(await client.getToken({ audience: 'calendar' }), 'tok-1');
    assert.equal(tokenProofs.length, 2);
    assert.equal(tokenProofs[0]?.claims.nonce, undefined);
    assert.equal(tokenProofs[1]?.claims.nonce, 'as-nonce-1');
    assert.notEqual(tokenProofs[0]?.claims.jti, tokenProofs[1]?.claims.jti);
    assert.equal(tokenProofs[0]?.jkt, client.dpopThumbprint);
    assert.equal(tokenProofs[1]?.jkt, client.dpopThumbprint);
    assert.deepEqual(await client.getIssuedToken({ audience: 'calendar' }), {
      accessToken: 'tok-1',
      tokenType: 'DPoP',
    });
  });

  it('sends DPoP tokens to resources with a proof per request (htm, htu, ath), retrying once for its nonce', async () => {
    const r = await client.fetch(`${rs.url}/events?page=2`, { method: 'post', body: 'x=1' }, { audience: 'calendar' });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { token: 'tok-1', body: 'x=1' });
    assert.deepEqual(resourceAuth, ['DPoP tok-1', 'DPoP tok-1']);
    assert.equal(resourceProofs[0]?.claims.nonce, undefined);
    assert.equal(resourceProofs[1]?.claims.nonce, 'rs-nonce-1');
    // The nonce is remembered for the origin: the next request needs no retry.
    const again = await client.fetch(`${rs.url}/events`, {}, { audience: 'calendar' });
    assert.equal(again.status, 200);
    assert.equal(resourceProofs.length, 3);
    const jtis = new Set(resourceProofs.map((p) => p.claims.jti));
    assert.equal(jtis.size, 3, 'a jti is never reused');
    for (const p of resourceProofs) assert.equal(p.jkt, client.dpopThumbprint, 'one key per client instance');
  });

  it('renews the token on DPoP error="invalid_token"', async () => {
    await client.fetch(`${rs.url}/events`, {}, { audience: 'calendar' });
    const r = await client.fetch(`${rs.url}/events`, { headers: { 'x-revoked': '1' } }, { audience: 'calendar' });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { token: 'tok-2', body: '' });
  });

  it('uses a Bearer answer to a DPoP request as a bearer token (RFC 9449 §5)', async () => {
    tokenType = 'Bearer';
    const r = await client.fetch(`${rs.url}/events`, {}, { audience: 'calendar' });
    assert.deepEqual(await r.json(), { bearer: true });
    assert.deepEqual(resourceAuth, ['Bearer tok-1']);
    // A DPoP token the client did not ask for cannot be presented: said plainly.
    const plain = createTokenClient({ issuer: as.url, clientId: 'task', clientSecret: 's' });
    await assert.rejects(plain.getToken(), InvalidTokenResponseError);
  });

  it('signs with a key pair of its own, a non-extractable WebCrypto key included', async () => {
    const pair = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const own = createTokenClient({ issuer: as.url, clientId: 'task', clientSecret: 's', dpop: pair });
    await own.getToken();
    const publicJwk = (await webcrypto.subtle.exportKey('jwk', pair.publicKey)) as JWK;
    assert.equal(tokenProofs.at(-1)?.jkt, await calculateJwkThumbprint(publicJwk, 'sha256'));
    assert.equal(tokenProofs.at(-1)?.jkt, own.dpopThumbprint);
  });

  it('keys its cache by binding, and refuses unusable keys at creation', () => {
    const key = (binding: string) => new TargetNormalizer(10, binding).normalize({ audience: 'calendar' }).key;
    assert.notEqual(key('bearer'), key(`dpop:${client.dpopThumbprint}`));
    assert.notEqual(key('dpop:a'), key('dpop:b'));
    assert.throws(
      () =>
        createTokenClient({
          issuer: as.url,
          clientId: 't',
          clientSecret: 's',
          dpop: { privateKey: { kty: 'EC', crv: 'P-256', x: 'a', y: 'b' } },
        }),
      TokenClientConfigError,
    );
  });
});

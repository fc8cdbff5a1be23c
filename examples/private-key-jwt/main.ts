import { randomUUID } from 'node:crypto';
import { createTokenClient } from '@tessera/client';
import { createVerifier } from '@tessera/verify';
import * as jose from 'jose';
import { call } from '../shared/http.js';
import { abbreviate, brief, check, checkEqual, describeClaims, runExample, say, step } from '../shared/narrate.js';
import { startTessera } from '../shared/start-tessera.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * A client with no shared secret at all: it holds an EC P-256 private key,
 * Tessera holds only the public key, and every token request carries a
 * fresh, single-use signed assertion (RFC 7523, private_key_jwt).
 */
await runExample('A client without a shared secret: private_key_jwt (RFC 7523)', async (cleanup) => {
  step('Start Tessera on a temporary embedded store');
  const tessera = await startTessera(cleanup);
  const { token_endpoint } = tessera.metadata;
  const methods = tessera.metadata.token_endpoint_auth_methods_supported as string[] | undefined;
  say(`issuer ${tessera.issuer}, token_endpoint_auth_methods_supported ${JSON.stringify(methods)}`);
  check(methods?.includes('private_key_jwt') === true, 'discovery lists private_key_jwt');

  step('The Report Service generates its EC P-256 key pair; the private key never leaves it');
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const publicJwk = await jose.exportJWK(publicKey);
  const kid = await jose.calculateJwkThumbprint(publicJwk);
  const jwk = { ...publicJwk, kid, alg: 'ES256', use: 'sig' };
  say(`public JWK ${brief(jwk)}`);
  check(!('d' in jwk), 'only the public part is shared');

  step('Register it with token_endpoint_auth_method "private_key_jwt" and its public JWKS');
  const report = await tessera.registerClient({
    client_name: 'Report Service',
    scope: 'file.view',
    audience: ['file'],
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [jwk] },
  });
  say(`POST /admin/clients → 201  client_id=${report.client_id}`);
  say(
    `token_endpoint_auth_method "${report.token_endpoint_auth_method}"  jwks: ${(report.jwks as jose.JSONWebKeySet | undefined)?.keys.length ?? 0} key`,
  );
  check(report.client_secret === undefined, 'no client_secret was issued: there is no shared secret');

  step('Get a token with @tessera/client, given the private key');
  const client = createTokenClient({ issuer: tessera.issuer, clientId: report.client_id, privateKey, keyId: kid });
  const token = await client.getToken({ audience: 'file', scope: 'file.view' });
  say(`access_token ${abbreviate(token)}`);
  say(describeClaims(jose.decodeJwt(token)));
  check(token.split('.').length === 3, 'a JWT access token was issued');

  step('The File Service verifies it with @tessera/verify (audience "file", scope "file.view")');
  const verifier = createVerifier({ issuer: tessera.issuer, audience: 'file' });
  const verified = await verifier.verify(token, { scope: 'file.view' });
  say(
    `clientId=${verified.clientId}  scopes=${JSON.stringify(verified.scopes)}  audience=${JSON.stringify(verified.audience)}`,
  );
  say(`format=${verified.format}  expiresAt=${verified.expiresAt.toISOString()}`);
  checkEqual(verified.clientId, report.client_id, 'verified: issued to the Report Service');

  step('An assertion built by hand with jose (RFC 7523 §3) is accepted once...');
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new jose.SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(report.client_id)
    .setSubject(report.client_id)
    .setAudience(tessera.issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(privateKey);
  const form = () =>
    new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
      audience: 'file',
      scope: 'file.view',
    });
  const first = await call('POST', token_endpoint, { form: form() });
  checkEqual(first.status, 200, 'first use: 200, a token');

  step('...and refused when replayed: its jti is spent');
  const replay = await call('POST', token_endpoint, { form: form(), show: ['www-authenticate'] });
  checkEqual(replay.status, 401, 'second use: 401');
  checkEqual(replay.json?.error, 'invalid_client', 'error is invalid_client');

  step('An assertion signed with another key (same kid) is refused');
  const intruder = await jose.generateKeyPair('ES256');
  const forged = await new jose.SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(report.client_id)
    .setSubject(report.client_id)
    .setAudience(tessera.issuer)
    .setIssuedAt()
    .setExpirationTime('60s')
    .sign(intruder.privateKey);
  const forgedAnswer = await call('POST', token_endpoint, {
    form: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: forged,
    }),
    show: ['www-authenticate'],
  });
  checkEqual([forgedAnswer.status, forgedAnswer.json?.error], [401, 'invalid_client'], '401 invalid_client');

  step('Guessing a secret for this client gets nowhere: it has none');
  const guessed = await call('POST', token_endpoint, {
    basic: { clientId: report.client_id, clientSecret: 'any-secret-at-all' },
    form: new URLSearchParams({ grant_type: 'client_credentials' }),
    show: ['www-authenticate'],
  });
  checkEqual([guessed.status, guessed.json?.error], [401, 'invalid_client'], '401 invalid_client');

  step('The client keeps working: a new token request signs a new assertion');
  client.invalidate({ audience: 'file', scope: 'file.view' });
  const renewed = await client.getToken({ audience: 'file', scope: 'file.view' });
  check(renewed !== token, 'a fresh token was issued');
  const verifiedAgain = await verifier.verify(renewed, { scope: 'file.view' });
  checkEqual(verifiedAgain.clientId, report.client_id, 'and it verifies');
});

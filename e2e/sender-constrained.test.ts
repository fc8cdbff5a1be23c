import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTokenClient } from '@tessera/client';
import { createDpopNonces, createVerifier, type Verifier } from '@tessera/verify';
import { requireToken } from '@tessera/verify/express';
import express from 'express';
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { makeCertificates, type TestCertificates } from '../packages/server/test/openssl-certificates.js';
import { startTessera, type TesseraProcess } from './support/tessera-process.js';
import { startTlsTessera } from './support/tls-tessera.js';

/**
 * Issue 27 end to end: Tessera binds, @tessera/verify enforces, and the
 * clients prove — independent ones (oauth4webapi, openid-client) and our own
 * (@tessera/client). The Calendar Service is an Express app behind
 * `requireToken`; nothing is stubbed.
 */

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON asserted on field by field
type Json = any;

const insecure = { [oauth.allowInsecureRequests]: true };

async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function close(server: Server | undefined): Promise<unknown> {
  server?.closeAllConnections();
  return new Promise((r) => (server ? server.close(r) : r(undefined)));
}

/** The Calendar Service: who called, and the key its token was bound to. */
function calendar(verifier: Verifier): express.Express {
  const app = express();
  app.get('/events', requireToken({ verifier, scope: 'event.view' }), (req, res) => {
    res.json({ client_id: req.auth?.clientId, jkt: req.auth?.dpop?.jkt ?? null });
  });
  return app;
}

describe('DPoP end to end: Tessera → independent clients → an Express service behind @tessera/verify', () => {
  let t: TesseraProcess;
  let issuer: URL;
  let as: oauth.AuthorizationServer;
  let plain: { server: Server; url: string };
  let withNonce: { server: Server; url: string };
  let registered: { client_id: string; client_secret?: string };

  before(async () => {
    t = await startTessera({ TESSERA_DPOP_NONCE: 'required' });
    issuer = new URL(t.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    registered = await t.createClient({
      scope: 'event.view',
      audience: ['calendar'],
      dpop_bound_access_tokens: true,
    });
    plain = await listen(calendar(createVerifier({ issuer: t.url, audience: 'calendar', dpop: true })));
    const nonce = createDpopNonces({ secret: Buffer.alloc(32, 7) });
    withNonce = await listen(
      calendar(createVerifier({ issuer: t.url, audience: 'calendar', dpop: { required: true, nonce } })),
    );
  });
  after(async () => {
    await close(plain?.server);
    await close(withNonce?.server);
    await t?.stop();
  });

  const asClient = (): oauth.Client => ({ client_id: registered.client_id });

  /** oauth4webapi: a DPoP token, retrying once on the server's use_dpop_nonce as the library signals it. */
  async function oauth4webapiToken(DPoP: oauth.DPoPHandle): Promise<string> {
    const cl: oauth.Client = { client_id: registered.client_id };
    const auth = oauth.ClientSecretBasic(registered.client_secret as string);
    const request = async () =>
      oauth.processClientCredentialsResponse(
        as,
        cl,
        await oauth.clientCredentialsGrantRequest(as, cl, auth, { audience: 'calendar' }, { DPoP, ...insecure }),
      );
    try {
      return (await request()).access_token;
    } catch (err) {
      assert.ok(oauth.isDPoPNonceError(err), String(err));
      return (await request()).access_token;
    }
  }

  it('oauth4webapi: its DPoP token and proof pass the verifier; the key is the one the token is bound to', async () => {
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP(asClient(), keyPair);
    const token = await oauth4webapiToken(DPoP);
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
    assert.deepEqual(decodeJwt(token).cnf, { jkt });

    const r = await oauth.protectedResourceRequest(token, 'GET', new URL(`${plain.url}/events`), new Headers(), null, {
      DPoP,
      ...insecure,
    });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { client_id: registered.client_id, jkt });
  });

  it('oauth4webapi: a resource asking for a nonce gets it after the one retry the library makes', async () => {
    const DPoP = oauth.DPoP(asClient(), await oauth.generateKeyPair('ES256'));
    const token = await oauth4webapiToken(DPoP);
    const call = () =>
      oauth.protectedResourceRequest(token, 'GET', new URL(`${withNonce.url}/events`), new Headers(), null, {
        DPoP,
        ...insecure,
      });
    let r: Response;
    try {
      r = await call();
      assert.notEqual(r.status, 200, 'the first call has no nonce and must not pass');
    } catch (err) {
      assert.ok(oauth.isDPoPNonceError(err), String(err));
    }
    r = await call();
    assert.equal(r.status, 200);
  });

  it('refuses the stolen token: as Bearer, with a replayed proof, and with a proof by another key', async () => {
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP(asClient(), keyPair);
    const token = await oauth4webapiToken(DPoP);

    const asBearer = await fetch(`${plain.url}/events`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(asBearer.status, 401);
    assert.match(asBearer.headers.get('www-authenticate') ?? '', /error="invalid_token"/);

    // A proof captured from a real request, sent again.
    let proof = '';
    await oauth.protectedResourceRequest(token, 'GET', new URL(`${plain.url}/events`), new Headers(), null, {
      DPoP,
      ...insecure,
      [oauth.customFetch]: async (url: string, init: RequestInit) => {
        proof = new Headers(init.headers).get('dpop') ?? '';
        return fetch(url, init);
      },
    });
    const replayed = await fetch(`${plain.url}/events`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
    assert.equal(replayed.status, 401);
    assert.match(replayed.headers.get('www-authenticate') ?? '', /^DPoP .*error="invalid_dpop_proof"/);

    // The thief's own key: a valid proof, but not of the key the token is bound to.
    const thief = oauth.DPoP(asClient(), await oauth.generateKeyPair('ES256'));
    const r = await oauth
      .protectedResourceRequest(token, 'GET', new URL(`${plain.url}/events`), new Headers(), null, {
        DPoP: thief,
        ...insecure,
      })
      .catch((err: unknown) => (err as { response?: Response }).response);
    assert.equal(r?.status, 401);
  });

  it('openid-client: getDPoPHandle for the token and fetchProtectedResource for the call', async () => {
    const config = await client.discovery(
      issuer,
      registered.client_id,
      undefined,
      client.ClientSecretBasic(registered.client_secret as string),
      { execute: [client.allowInsecureRequests] },
    );
    const keyPair = await client.randomDPoPKeyPair('ES256');
    const DPoP = client.getDPoPHandle(config, keyPair);
    const tokens = await client.clientCredentialsGrant(config, { audience: 'calendar' }, { DPoP, ...insecure });
    assert.equal(tokens.token_type, 'dpop');
    const r = await client.fetchProtectedResource(
      config,
      tokens.access_token,
      new URL(`${plain.url}/events`),
      'GET',
      null,
      undefined,
      {
        DPoP,
      },
    );
    assert.equal(r.status, 200);
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
    assert.equal(((await r.json()) as Json).jkt, jkt);
  });

  it('@tessera/client with dpop: true — token, proof and both nonce retries, one option', async () => {
    const tokens = createTokenClient({
      issuer: t.url,
      clientId: registered.client_id,
      clientSecret: registered.client_secret,
      dpop: true,
    });
    const r = await tokens.fetch(`${withNonce.url}/events`, {}, { audience: 'calendar' });
    assert.equal(r.status, 200);
    const body = (await r.json()) as Json;
    assert.equal(body.client_id, registered.client_id);
    assert.equal(typeof body.jkt, 'string');
    // The same key for the next call: the cached token is still usable.
    const again = await tokens.fetch(`${withNonce.url}/events`, {}, { audience: 'calendar' });
    assert.equal(((await again.json()) as Json).jkt, body.jkt);
  });
});

describe('mutual TLS end to end: @tessera/client over TLS → a certificate-bound token → @tessera/verify', () => {
  let certs: TestCertificates;
  let tessera: Awaited<ReturnType<typeof startTlsTessera>>;
  let files: Server;
  let filesUrl: string;
  let clientId: string;

  before(async () => {
    certs = makeCertificates();
    tessera = await startTlsTessera(certs);
    const issuer = `https://localhost:${tessera.port}`;
    const created = await tessera.admin('POST', '/admin/clients', {
      token_endpoint_auth_method: 'self_signed_tls_client_auth',
      jwks: { keys: [(await exportJWK(createPublicKeyFromPem(certs.selfSigned.pem))) as Json] },
      tls_client_certificate_bound_access_tokens: true,
      scope: 'file.read',
      audience: ['files'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    clientId = created.body.client_id;

    // The File Service over TLS, asking every caller for a certificate; the binding is what it checks.
    const dispatcher = new Agent({ connect: { ca: certs.ca.pem } });
    const verifier = createVerifier({
      issuer,
      audience: 'files',
      mtls: true,
      fetch: (url: string, init?: Json) => undiciFetch(url, { ...init, dispatcher }) as unknown as Promise<Response>,
    });
    const app = express();
    app.get('/files', requireToken({ verifier, scope: 'file.read' }), (req, res) => {
      res.json({ client_id: req.auth?.clientId, x5t: req.auth?.certificateThumbprint ?? null });
    });
    files = createHttpsServer(
      {
        cert: certs.server.pem,
        key: readFileSync(certs.server.key),
        requestCert: true,
        rejectUnauthorized: false,
      },
      app,
    );
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    filesUrl = `https://localhost:${(files.address() as AddressInfo).port}`;
  });
  after(async () => {
    await close(files);
    await tessera?.stop();
    certs?.remove();
  });

  it('the client authenticates with its certificate, and the service accepts the token only with that certificate', async () => {
    const tokens = createTokenClient({
      issuer: `https://localhost:${tessera.port}`,
      clientId,
      authMethod: 'self_signed_tls_client_auth',
      tls: { cert: certs.selfSigned.pem, key: readFileSync(certs.selfSigned.key), ca: certs.ca.pem },
    });
    const r = await tokens.fetch(`${filesUrl}/files`, {}, { audience: 'files' });
    assert.equal(r.status, 200);
    const x5t = certs.thumbprint(certs.selfSigned);
    assert.deepEqual(await r.json(), { client_id: clientId, x5t });

    // The same token from a connection with another certificate, or none: refused.
    const token = (await tokens.getToken({ audience: 'files' })) as string;
    assert.deepEqual(decodeJwt(token).cnf, { 'x5t#S256': x5t });
    for (const cert of [certs.client, undefined]) {
      const answer = await get(`${filesUrl}/files`, certs, token, cert);
      assert.equal(answer.status, 401);
      assert.match(answer.challenge, /error="invalid_token"/);
    }
  });
});

/** The certificate's public key: what a self_signed_tls_client_auth client registers in its jwks. */
function createPublicKeyFromPem(pem: string) {
  return new X509Certificate(pem).publicKey;
}

function get(
  url: string,
  certs: TestCertificates,
  token: string,
  cert?: { pem: string; key: string },
): Promise<{ status: number; challenge: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        ca: certs.ca.pem,
        agent: false,
        headers: { authorization: `Bearer ${token}` },
        ...(cert ? { cert: cert.pem, key: readFileSync(cert.key) } : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, challenge: String(res.headers['www-authenticate'] ?? '') }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

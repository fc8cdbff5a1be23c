import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { createTokenClient, TokenClientConfigError } from './index.js';
import { selfSigned, type TestCertificate } from './testing/certificates.js';

interface Seen {
  path: string;
  certificate: Buffer | undefined;
  authorization: string | undefined;
  body: string;
}

/**
 * RFC 8705 through real TLS: an https server made with openssl certificates
 * that requests (not requires) a client certificate, serves discovery with
 * `mtls_endpoint_aliases`, a token endpoint at each address, and a resource.
 */
describe('mutual TLS (RFC 8705)', () => {
  let server: Server;
  let url: string;
  let serverCert: TestCertificate;
  let clientCert: TestCertificate;
  let seen: Seen[];
  let aliases: boolean;

  before(async () => {
    serverCert = selfSigned('tessera');
    clientCert = selfSigned('task-service');
    server = createServer(
      { cert: serverCert.cert, key: serverCert.key, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (d: string) => {
          body += d;
        });
        req.on('end', () => {
          const raw = (req.socket as TLSSocket).getPeerCertificate().raw;
          seen.push({ path: req.url ?? '', certificate: raw, authorization: req.headers.authorization, body });
          const json = (value: unknown) =>
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
          if (req.url === '/.well-known/oauth-authorization-server') {
            return json({
              issuer: url,
              token_endpoint: `${url}/token`,
              ...(aliases ? { mtls_endpoint_aliases: { token_endpoint: `${url}/mtls/token` } } : {}),
            });
          }
          if (req.url?.endsWith('/token'))
            return json({ access_token: 'cert-bound', token_type: 'Bearer', expires_in: 60 });
          json({ ok: true });
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });
  beforeEach(() => {
    seen = [];
    aliases = true;
  });

  const tls = () => ({ cert: clientCert.cert, key: clientCert.key, ca: serverCert.cert });

  it('tls_client_auth: the certificate on the mTLS alias of the token endpoint, client_id in the body, no secret', async () => {
    const client = createTokenClient({
      issuer: url,
      clientId: 'task-service',
      authMethod: 'tls_client_auth',
      tls: tls(),
    });
    assert.equal(await client.getToken({ audience: 'calendar' }), 'cert-bound');
    const token = seen.find((s) => s.path.endsWith('/token'));
    assert.equal(token?.path, '/mtls/token');
    assert.deepEqual(token?.certificate, clientCert.der, 'the server saw the client certificate');
    assert.equal(token?.authorization, undefined);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(token?.body)), {
      grant_type: 'client_credentials',
      audience: 'calendar',
      client_id: 'task-service',
    });
    // The same certificate reaches resources, for certificate-bound tokens (RFC 8705 §3).
    const r = await client.fetch(`${url}/events`, {}, { audience: 'calendar' });
    assert.equal(r.status, 200);
    const resource = seen.at(-1);
    assert.equal(resource?.authorization, 'Bearer cert-bound');
    assert.deepEqual(resource?.certificate, clientCert.der);
  });

  it('self_signed_tls_client_auth, and the plain token endpoint when discovery names no alias', async () => {
    aliases = false;
    const client = createTokenClient({
      issuer: url,
      clientId: 'files',
      authMethod: 'self_signed_tls_client_auth',
      tls: tls(),
    });
    await client.getToken();
    const token = seen.find((s) => s.path.endsWith('/token'));
    assert.equal(token?.path, '/token');
    assert.deepEqual(token?.certificate, clientCert.der);
    assert.equal(new URLSearchParams(token?.body).get('client_id'), 'files');
  });

  it('presents the certificate with another auth method too', async () => {
    const withSecret = createTokenClient({ issuer: url, clientId: 'task', clientSecret: 's', tls: tls() });
    await withSecret.getToken();
    const token = seen.find((s) => s.path.endsWith('/token'));
    assert.equal(token?.path, '/mtls/token');
    assert.deepEqual(token?.certificate, clientCert.der);
    assert.match(token?.authorization ?? '', /^Basic /);
  });

  it('token exchange goes the same way: the certificate, on the mTLS alias', async () => {
    const client = createTokenClient({
      issuer: url,
      clientId: 'calendar-service',
      authMethod: 'tls_client_auth',
      tls: tls(),
    });
    assert.equal(await client.exchangeToken({ subjectToken: 'received', audience: 'file' }), 'cert-bound');
    const token = seen.find((s) => s.path.endsWith('/token'));
    assert.equal(token?.path, '/mtls/token');
    assert.deepEqual(token?.certificate, clientCert.der);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(token?.body)), {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: 'received',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'file',
      client_id: 'calendar-service',
    });
  });

  it('refuses a TLS auth method without a certificate at creation', () => {
    assert.throws(
      () => createTokenClient({ issuer: url, clientId: 'x', authMethod: 'tls_client_auth' }),
      TokenClientConfigError,
    );
    assert.throws(
      () => createTokenClient({ issuer: url, clientId: 'x', tls: { cert: '', key: '' } }),
      TokenClientConfigError,
    );
  });
});

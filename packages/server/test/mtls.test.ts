import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { basic, decodeJwt, form, type Harness, startHarness } from './harness.js';
import { CLIENT_DN, CLIENT_SAN, makeCertificates, type Pem, type TestCertificates } from './openssl-certificates.js';

const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies asserted on field by field
  body: any;
}

/** A real TLS connection to Tessera, presenting `cert` (or none), as a Node `https` client does. */
function post(
  port: number,
  ca: string,
  path: string,
  params: Record<string, string>,
  cert?: Pem,
  headers = {},
): Promise<Answer> {
  const payload = form(params);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port,
        path,
        method: 'POST',
        ca,
        ...(cert ? { cert: cert.pem, key: readFileSync(cert.key) } : {}),
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('mutual TLS (RFC 8705) over a real TLS connection', () => {
  let certs: TestCertificates;
  let h: Harness;
  let port: number;
  const token = (params: Record<string, string>, cert?: Pem, headers = {}) =>
    post(port, certs.ca.pem, '/oauth2/token', { grant_type: 'client_credentials', ...params }, cert, headers);

  before(async () => {
    certs = makeCertificates();
    h = await startHarness(
      {},
      {
        TESSERA_TLS_CERT: certs.server.cert,
        TESSERA_TLS_KEY: certs.server.key,
        TESSERA_TLS_CLIENT_CA: certs.ca.cert,
        TESSERA_ISSUER: '',
      },
    );
    // The certificates are valid from now: the test clock starts here.
    h.clock.ms = Date.now();
    port = Number(new URL(await h.tessera.app.listen({ port: 0, host: '127.0.0.1' })).port);
  });
  after(async () => {
    await h?.close();
    certs?.remove();
  });

  it('lists both methods and certificate-bound tokens in discovery, for every endpoint', async () => {
    const d = (await h.inject({ url: '/.well-known/oauth-authorization-server' })).json();
    for (const list of [
      d.token_endpoint_auth_methods_supported,
      d.introspection_endpoint_auth_methods_supported,
      d.revocation_endpoint_auth_methods_supported,
    ]) {
      assert.ok(list.includes('tls_client_auth') && list.includes('self_signed_tls_client_auth'));
    }
    assert.equal(d.tls_client_certificate_bound_access_tokens, true);
  });

  it('authenticates tls_client_auth by the subject DN, however it is written', async () => {
    for (const dn of [CLIENT_DN, 'cn=PDF-Caller, ou=payments, o=Example\\2C Inc., c=de']) {
      const c = await h.createClient({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: dn });
      assert.equal(c.client_secret, undefined, 'no secret is minted');
      const r = await token({ client_id: c.client_id }, certs.client);
      assert.equal(r.status, 200, dn);
      assert.equal(r.body.token_type, 'Bearer');
      const { payload } = decodeJwt(r.body.access_token);
      assert.equal(payload.client_id, c.client_id);
      assert.equal(payload.cnf, undefined, 'not bound unless the client asked');
    }
  });

  it('authenticates tls_client_auth by each kind of SAN', async () => {
    for (const [field, value] of Object.entries({
      tls_client_auth_san_dns: CLIENT_SAN.dns,
      tls_client_auth_san_uri: CLIENT_SAN.uri,
      tls_client_auth_san_ip: CLIENT_SAN.ip,
      tls_client_auth_san_email: CLIENT_SAN.email,
    })) {
      const c = await h.createClient({ token_endpoint_auth_method: 'tls_client_auth', [field]: value });
      assert.equal((await token({ client_id: c.client_id }, certs.client)).status, 200, field);
      const other = await h.createClient({
        token_endpoint_auth_method: 'tls_client_auth',
        [field]: field.endsWith('ip') ? '10.1.2.4' : field.endsWith('email') ? 'x@example.com' : `${value}x`,
      });
      assert.deepEqual(await token({ client_id: other.client_id }, certs.client), {
        status: 401,
        body: INVALID_CLIENT,
      });
    }
  });

  it('refuses a certificate from another CA, one not for client authentication, another subject, or none', async () => {
    const c = await h.createClient({
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: CLIENT_DN,
    });
    assert.deepEqual(await token({ client_id: c.client_id }, certs.foreign), { status: 401, body: INVALID_CLIENT });
    assert.deepEqual(await token({ client_id: c.client_id }, certs.serverOnly), { status: 401, body: INVALID_CLIENT });
    assert.deepEqual(await token({ client_id: c.client_id }, certs.selfSigned), { status: 401, body: INVALID_CLIENT });
    assert.deepEqual(await token({ client_id: c.client_id }), { status: 401, body: INVALID_CLIENT });
    const reasons = h.logs.join('\n');
    assert.match(reasons, /does not chain to TESSERA_TLS_CLIENT_CA/);
    assert.match(reasons, /not for client authentication/);
  });

  it('refuses a certificate once it has expired', async () => {
    const c = await h.createClient({
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: CLIENT_DN,
    });
    const now = h.clock.ms;
    h.clock.advance(3 * 24 * 3600);
    try {
      assert.deepEqual(await token({ client_id: c.client_id }, certs.client), { status: 401, body: INVALID_CLIENT });
    } finally {
      h.clock.ms = now;
    }
  });

  it('authenticates self_signed_tls_client_auth by the key in the client jwks, with no chain', async () => {
    const jwk = createPublicKey(certs.selfSigned.pem).export({ format: 'jwk' });
    const c = await h.createClient({
      token_endpoint_auth_method: 'self_signed_tls_client_auth',
      jwks: { keys: [jwk] },
    });
    assert.equal((await token({ client_id: c.client_id }, certs.selfSigned)).status, 200);
    assert.deepEqual(await token({ client_id: c.client_id }, certs.client), { status: 401, body: INVALID_CLIENT });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const stranger = await h.createClient({
      token_endpoint_auth_method: 'self_signed_tls_client_auth',
      jwks: { keys: [other] },
    });
    assert.deepEqual(await token({ client_id: stranger.client_id }, certs.selfSigned), {
      status: 401,
      body: INVALID_CLIENT,
    });
  });

  it('finds a self-signed certificate key at the client jwks_uri, and caches the set', async () => {
    const keys = [
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
      createPublicKey(certs.selfSigned.pem).export({ format: 'jwk' }),
    ];
    let fetches = 0;
    const jwksServer = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    try {
      const uri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
      const c = await h.createClient({ token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks_uri: uri });
      for (let i = 0; i < 2; i++) {
        const r = await token({ client_id: c.client_id }, certs.selfSigned);
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
      assert.equal(fetches, 1);
      assert.deepEqual(await token({ client_id: c.client_id }, certs.client), { status: 401, body: INVALID_CLIENT });
    } finally {
      jwksServer.close();
    }
  });

  it('binds tokens of a bound client to its certificate: cnf x5t#S256 is the openssl thumbprint, JWT and opaque', async () => {
    const thumbprint = certs.thumbprint(certs.client);
    for (const format of ['jwt', 'opaque']) {
      const c = await h.createClient({
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_subject_dn: CLIENT_DN,
        tls_client_certificate_bound_access_tokens: true,
        access_token_format: format,
      });
      const r = await token({ client_id: c.client_id }, certs.client);
      assert.equal(r.status, 200);
      assert.equal(r.body.token_type, 'Bearer', 'RFC 8705 tokens stay Bearer tokens');
      if (format === 'jwt') assert.deepEqual(decodeJwt(r.body.access_token).payload.cnf, { 'x5t#S256': thumbprint });
      const intro = await post(
        port,
        certs.ca.pem,
        '/oauth2/introspect',
        { token: r.body.access_token, client_id: c.client_id },
        certs.client,
      );
      assert.equal(intro.status, 200, 'introspection authenticates with the certificate too');
      assert.equal(intro.body.active, true);
      assert.deepEqual(intro.body.cnf, { 'x5t#S256': thumbprint });
      assert.equal(intro.body.token_type, 'Bearer');
    }
  });

  it('binds the tokens of a secret client that presents a certificate, and refuses it a token without one', async () => {
    const c = await h.createClient({ tls_client_certificate_bound_access_tokens: true });
    const auth = { authorization: basic(c.client_id, c.client_secret) };
    const bound = await token({}, certs.selfSigned, auth);
    assert.equal(bound.status, 200, 'the certificate does not count as a second authentication method');
    assert.deepEqual(decodeJwt(bound.body.access_token).payload.cnf, {
      'x5t#S256': certs.thumbprint(certs.selfSigned),
    });
    const r = await token({}, undefined, auth);
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'invalid_request');
  });

  it('gives an unbound client a plain token whatever certificate it presents', async () => {
    const c = await h.createClient({});
    const r = await token({}, certs.client, { authorization: basic(c.client_id, c.client_secret) });
    assert.equal(r.status, 200);
    assert.equal(decodeJwt(r.body.access_token).payload.cnf, undefined);
  });
});

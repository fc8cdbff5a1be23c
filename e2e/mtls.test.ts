import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CLIENT_DN,
  CLIENT_SAN,
  makeCertificates,
  type Pem,
  type TestCertificates,
} from '../packages/server/test/openssl-certificates.js';
import { SERVER_MAIN, startTessera, type TesseraProcess } from './support/tessera-process.js';
import { startTlsTessera } from './support/tls-tessera.js';

const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON asserted on field by field
type Json = any;

function hasCurl(): boolean {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function payload(jwt: string): Json {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString());
}

describe('mutual TLS against the server process serving HTTPS', () => {
  let certs: TestCertificates;
  let server: Awaited<ReturnType<typeof startTlsTessera>>;
  const create = async (metadata: Record<string, unknown>): Promise<string> => {
    const r = await server.admin('POST', '/admin/clients', metadata);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.client_id;
  };

  before(async () => {
    certs = makeCertificates();
    server = await startTlsTessera(certs);
  });
  after(async () => {
    await server?.stop();
    certs?.remove();
  });

  it('serves tls_client_auth by subject DN and by SAN DNS, and self_signed_tls_client_auth, to a Node https client', async () => {
    const byDn = await create({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: CLIENT_DN });
    const bySan = await create({
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_san_dns: CLIENT_SAN.dns,
    });
    const selfSigned = await create({
      token_endpoint_auth_method: 'self_signed_tls_client_auth',
      jwks: { keys: [createPublicKey(certs.selfSigned.pem).export({ format: 'jwk' })] },
    });
    for (const [clientId, cert] of [
      [byDn, certs.client],
      [bySan, certs.client],
      [selfSigned, certs.selfSigned],
    ] as const) {
      const r = await server.token({ client_id: clientId }, cert);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.token_type, 'Bearer');
      assert.equal(payload(r.body.access_token).client_id, clientId);
    }
  });

  it('answers a certificate from another CA, and no certificate, with 401 invalid_client', async () => {
    const clientId = await create({
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: CLIENT_DN,
    });
    assert.deepEqual(await server.token({ client_id: clientId }, certs.foreign), { status: 401, body: INVALID_CLIENT });
    assert.deepEqual(await server.token({ client_id: clientId }), { status: 401, body: INVALID_CLIENT });
  });

  it('binds a bound client token to its certificate: cnf x5t#S256 is what openssl computes', async () => {
    const clientId = await create({
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: CLIENT_DN,
      tls_client_certificate_bound_access_tokens: true,
    });
    const r = await server.token({ client_id: clientId }, certs.client);
    assert.equal(r.status, 200);
    assert.deepEqual(payload(r.body.access_token).cnf, { 'x5t#S256': certs.thumbprint(certs.client) });
  });

  it('gives curl --cert --key --cacert a bound token', { skip: !hasCurl() && 'curl is not installed' }, async () => {
    const clientId = await create({
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: CLIENT_DN,
      tls_client_certificate_bound_access_tokens: true,
    });
    const curl = (cert: Pem) =>
      spawnSync(
        'curl',
        [
          '--silent',
          '--show-error',
          '--cert',
          cert.cert,
          '--key',
          cert.key,
          '--cacert',
          certs.ca.cert,
          '--data-urlencode',
          'grant_type=client_credentials',
          '--data-urlencode',
          `client_id=${clientId}`,
          '--write-out',
          '\n%{http_code}',
          `https://localhost:${server.port}/oauth2/token`,
        ],
        { encoding: 'utf8', timeout: 20_000 },
      );
    const ok = curl(certs.client);
    const [body, status] = ok.stdout.split('\n');
    assert.equal(status, '200', ok.stderr);
    assert.deepEqual(payload(JSON.parse(body as string).access_token).cnf, {
      'x5t#S256': certs.thumbprint(certs.client),
    });
    const refused = curl(certs.foreign);
    const [refusedBody, refusedStatus] = refused.stdout.split('\n');
    assert.equal(refusedStatus, '401');
    assert.deepEqual(JSON.parse(refusedBody as string), INVALID_CLIENT);
  });
});

describe('mutual TLS through a proxy Client-Cert header, against the server process', () => {
  let certs: TestCertificates;
  const servers: TesseraProcess[] = [];
  before(() => {
    certs = makeCertificates();
  });
  after(async () => {
    for (const s of servers) await s.stop();
    certs?.remove();
  });

  const tryWith = async (trustProxy: string | undefined): Promise<{ status: number; body: Json }> => {
    const server = await startTessera({
      TESSERA_TLS_CLIENT_CA: certs.ca.cert,
      TESSERA_CLIENT_CERT_HEADER: 'Client-Cert',
      ...(trustProxy ? { TESSERA_TRUST_PROXY: trustProxy } : {}),
    });
    servers.push(server);
    const c = await server.createClient({
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: CLIENT_DN,
      tls_client_certificate_bound_access_tokens: true,
    });
    // fetch connects from 127.0.0.1: to the server it is the proxy, or a client talking to it directly.
    const r = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'client-cert': `:${certs.client.der.toString('base64')}:`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: c.client_id }),
    });
    return { status: r.status, body: await r.json() };
  };

  it('accepts the header from the trusted proxy address, and binds the token to the certificate', async () => {
    const r = await tryWith('127.0.0.1');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(payload(r.body.access_token).cnf, { 'x5t#S256': certs.thumbprint(certs.client) });
  });

  it('ignores the same header with TESSERA_TRUST_PROXY unset, or trusting another address', async () => {
    assert.deepEqual(await tryWith(undefined), { status: 401, body: INVALID_CLIENT });
    assert.deepEqual(await tryWith('10.9.9.9'), { status: 401, body: INVALID_CLIENT });
  });
});

describe('TESSERA_TLS_CLIENT_CA at start-up', () => {
  it('a missing file stops the server with one line naming the variable', () => {
    const r = spawnSync(process.execPath, [SERVER_MAIN], {
      env: {
        PATH: process.env.PATH,
        TESSERA_DATABASE_URL: 'sqlite::memory:',
        TESSERA_TLS_CLIENT_CA: join(tmpdir(), 'no-such-ca.pem'),
      },
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr.trim(), /^tessera: failed to start: TESSERA_TLS_CLIENT_CA cannot be read: ENOENT$/);
  });
});

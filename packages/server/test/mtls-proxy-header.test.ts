import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic, decodeJwt, type Harness, startHarness } from './harness.js';
import { CLIENT_DN, makeCertificates, type TestCertificates } from './openssl-certificates.js';

const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };
const PROXY = '127.0.0.1';
const DIRECT = '203.0.113.7';

function header(der: Buffer): string {
  return `:${der.toString('base64')}:`;
}

describe('the client certificate in an RFC 9440 header from a trusted proxy', () => {
  let certs: TestCertificates;
  let h: Harness;
  let clientId: string;

  before(async () => {
    certs = makeCertificates();
    h = await startHarness(
      {},
      {
        TESSERA_TLS_CLIENT_CA: certs.ca.cert,
        TESSERA_CLIENT_CERT_HEADER: 'Client-Cert',
        TESSERA_TRUST_PROXY: PROXY,
      },
    );
    h.clock.ms = Date.now();
    clientId = (
      await h.createClient({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: CLIENT_DN })
    ).client_id;
  });
  after(async () => {
    await h?.close();
    certs?.remove();
  });

  const token = (
    from: string,
    headers: Record<string, string>,
    params: Record<string, string> = { client_id: clientId },
  ) =>
    h.inject({
      method: 'POST',
      url: '/oauth2/token',
      remoteAddress: from,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams({ grant_type: 'client_credentials', ...params }).toString(),
    });

  it('accepts the certificate from a trusted proxy', async () => {
    const r = await token(PROXY, { 'client-cert': header(certs.client.der) });
    assert.equal(r.statusCode, 200, r.body);
  });

  it('ignores the header from any other address: the client cannot name its own certificate', async () => {
    const r = await token(DIRECT, { 'client-cert': header(certs.client.der) });
    assert.deepEqual({ status: r.statusCode, body: r.json() }, { status: 401, body: INVALID_CLIENT });
  });

  it('strips it from untrusted peers before anything reads it: a bound client then has no certificate', async () => {
    const c = await h.createClient({ tls_client_certificate_bound_access_tokens: true });
    const auth = { authorization: basic(c.client_id, c.client_secret), 'client-cert': header(certs.client.der) };
    const direct = await token(DIRECT, auth, {});
    assert.equal(direct.statusCode, 400);
    assert.equal(direct.json().error, 'invalid_request');
    const proxied = await token(PROXY, auth, {});
    assert.equal(proxied.statusCode, 200);
    assert.deepEqual(decodeJwt(proxied.json().access_token).payload.cnf, {
      'x5t#S256': certs.thumbprint(certs.client),
    });
  });

  it('still checks the chain against TESSERA_TLS_CLIENT_CA itself: the proxy may not have', async () => {
    const r = await token(PROXY, { 'client-cert': header(certs.foreign.der) });
    assert.deepEqual({ status: r.statusCode, body: r.json() }, { status: 401, body: INVALID_CLIENT });
  });

  it('answers garbage in the header with invalid_client, never a 500, never trusting it', async () => {
    const der = certs.client.der;
    for (const value of [
      der.toString('base64'),
      `:${der.toString('base64')}`,
      `:${der.toString('base64url')}_-:`,
      ':not base64!:',
      `:${Buffer.from('not a certificate').toString('base64')}:`,
      `:${der.subarray(0, der.length - 10).toString('base64')}:`,
      `:${Buffer.concat([der, Buffer.from([0])]).toString('base64')}:`,
      `:${'QUFB'.repeat(4200)}:`,
      `${header(der)}, ${header(der)}`,
    ]) {
      const r = await token(PROXY, { 'client-cert': value });
      assert.deepEqual(
        { status: r.statusCode, body: r.json() },
        { status: 401, body: INVALID_CLIENT },
        value.slice(0, 40),
      );
    }
  });

  it('follows intermediates in Client-Cert-Chain to a configured CA', async () => {
    const c = await h.createClient({
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=chained-caller,O=Example',
    });
    const leaf = { 'client-cert': header(certs.chained.der) };
    const alone = await token(PROXY, leaf, { client_id: c.client_id });
    assert.equal(alone.statusCode, 401, 'not without its intermediate');
    const chained = await token(
      PROXY,
      { ...leaf, 'client-cert-chain': header(certs.intermediate.der) },
      { client_id: c.client_id },
    );
    assert.equal(chained.statusCode, 200, chained.body);
    const untrusted = await token(
      DIRECT,
      { ...leaf, 'client-cert-chain': header(certs.intermediate.der) },
      { client_id: c.client_id },
    );
    assert.equal(untrusted.statusCode, 401);
  });
});

describe('the certificate header without a trusted proxy', () => {
  for (const trust of [undefined, '10.0.0.1']) {
    it(`is ignored with TESSERA_TRUST_PROXY=${trust ?? '(unset)'}`, async () => {
      const certs = makeCertificates();
      const h = await startHarness(
        {},
        {
          TESSERA_TLS_CLIENT_CA: certs.ca.cert,
          TESSERA_CLIENT_CERT_HEADER: 'Client-Cert',
          ...(trust ? { TESSERA_TRUST_PROXY: trust } : {}),
        },
      );
      try {
        h.clock.ms = Date.now();
        const c = await h.createClient({
          token_endpoint_auth_method: 'tls_client_auth',
          tls_client_auth_subject_dn: CLIENT_DN,
        });
        const r = await h.token(
          { grant_type: 'client_credentials', client_id: c.client_id },
          { 'client-cert': header(certs.client.der) },
        );
        assert.deepEqual({ status: r.statusCode, body: r.json() }, { status: 401, body: INVALID_CLIENT });
        if (!trust) assert.ok(h.logs.some((l) => l.includes('TESSERA_CLIENT_CERT_HEADER is set but')));
      } finally {
        await h.close();
        certs.remove();
      }
    });
  }
});

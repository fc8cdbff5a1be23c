import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Harness, startHarness } from './harness.js';

const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });

describe('RFC 8705 client metadata', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  const refused = async (body: unknown, description: string | RegExp) => {
    const r = await h.admin('POST', '/admin/clients', body);
    assert.equal(r.statusCode, 400, JSON.stringify(body));
    assert.equal(r.json().error, 'invalid_client_metadata');
    if (typeof description === 'string') assert.equal(r.json().error_description, description);
    else assert.match(r.json().error_description, description);
  };

  it('requires exactly one certificate name for tls_client_auth', async () => {
    const exactlyOne =
      'tls_client_auth requires exactly one of tls_client_auth_subject_dn, tls_client_auth_san_dns, tls_client_auth_san_uri, tls_client_auth_san_ip, tls_client_auth_san_email';
    await refused({ token_endpoint_auth_method: 'tls_client_auth' }, exactlyOne);
    await refused(
      {
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_subject_dn: 'CN=a',
        tls_client_auth_san_dns: 'a.example',
      },
      exactlyOne,
    );
  });

  it('refuses names that are not what they say', async () => {
    const m = { token_endpoint_auth_method: 'tls_client_auth' };
    await refused({ ...m, tls_client_auth_subject_dn: 'CN=a,XX=b' }, /^tls_client_auth_subject_dn: not an RFC 4514 DN/);
    await refused({ ...m, tls_client_auth_san_dns: 'a..example' }, 'tls_client_auth_san_dns: must be a DNS name');
    await refused({ ...m, tls_client_auth_san_uri: 'not a uri' }, 'tls_client_auth_san_uri: must be an absolute URI');
    await refused(
      { ...m, tls_client_auth_san_ip: '10.1.2' },
      'tls_client_auth_san_ip: must be an IPv4 or IPv6 address',
    );
    await refused({ ...m, tls_client_auth_san_email: 'nobody' }, 'tls_client_auth_san_email: must be an email address');
    await refused({ tls_client_certificate_bound_access_tokens: 'yes' }, /tls_client_certificate_bound_access_tokens/);
  });

  it('refuses certificate names for other methods, and self_signed_tls_client_auth without keys', async () => {
    await refused(
      { tls_client_auth_subject_dn: 'CN=a' },
      'tls_client_auth_subject_dn and tls_client_auth_san_* are only used with tls_client_auth',
    );
    await refused(
      { token_endpoint_auth_method: 'self_signed_tls_client_auth' },
      'self_signed_tls_client_auth requires jwks or jwks_uri',
    );
  });

  it('shows the fields in the admin view, replaces one name by another, and drops them when the method changes', async () => {
    const created = await h.createClient({
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=a,O=Example',
      tls_client_certificate_bound_access_tokens: true,
    });
    assert.equal(created.tls_client_auth_subject_dn, 'CN=a,O=Example');
    assert.equal(created.tls_client_certificate_bound_access_tokens, true);
    const path = `/admin/clients/${encodeURIComponent(created.client_id)}`;
    const renamed = (await h.admin('PATCH', path, { tls_client_auth_san_uri: 'spiffe://example.org/a' })).json();
    assert.equal(renamed.tls_client_auth_san_uri, 'spiffe://example.org/a');
    assert.equal(renamed.tls_client_auth_subject_dn, undefined);
    const moved = await h.admin('PATCH', path, {
      token_endpoint_auth_method: 'self_signed_tls_client_auth',
      jwks: { keys: [jwk] },
    });
    assert.equal(moved.statusCode, 200, moved.body);
    assert.equal(moved.json().tls_client_auth_san_uri, undefined);
    assert.equal(moved.json().tls_client_certificate_bound_access_tokens, true);
  });

  it('documents every field in the OpenAPI document', async () => {
    const doc = JSON.stringify((await h.inject({ url: '/openapi.json' })).json());
    for (const f of [
      'tls_client_auth_subject_dn',
      'tls_client_auth_san_dns',
      'tls_client_auth_san_uri',
      'tls_client_auth_san_ip',
      'tls_client_auth_san_email',
      'tls_client_certificate_bound_access_tokens',
      'self_signed_tls_client_auth',
    ]) {
      assert.ok(doc.includes(f), f);
    }
  });
});

import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { resolveSenderConstraints, type TrustProxy } from '../sender-constraints.js';
import { clientCertificate, publicUrl } from './request-source.js';

const request = (headers: Record<string, string>, socket: Record<string, unknown> = {}) =>
  ({ headers, socket: { remoteAddress: '::ffff:10.0.0.5', ...socket } }) as unknown as IncomingMessage;
const options = (publicOrigin?: string, trustProxy?: TrustProxy, certificateHeader?: string) =>
  resolveSenderConstraints(
    undefined,
    certificateHeader ? { certificateHeader } : undefined,
    publicOrigin,
    trustProxy,
    Date.now,
  );

describe('the URL and certificate of a request, for the binding checks', () => {
  const forwarded = { host: 'internal:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' };

  it('builds htu from the connection and Host, believing forwarded headers only from trusted peers', () => {
    assert.equal(publicUrl(request(forwarded), '/events?x=1', options()), 'http://internal:8080/events?x=1');
    assert.equal(publicUrl(request(forwarded, { encrypted: true }), '/e', options()), 'https://internal:8080/e');
    assert.equal(publicUrl(request(forwarded), '/e', options(undefined, ['10.0.0.5'])), 'https://api.example.com/e');
    assert.equal(publicUrl(request(forwarded), '/e', options(undefined, ['10.0.0.6'])), 'http://internal:8080/e');
    assert.equal(
      publicUrl(
        request(forwarded),
        '/e',
        options(undefined, (a) => a === '::ffff:10.0.0.5'),
      ),
      'https://api.example.com/e',
    );
    assert.equal(
      publicUrl(request({ ...forwarded, 'x-forwarded-host': 'evil.example/path' }), '/e', options(undefined, true)),
      'https://internal:8080/e',
      'a forwarded host that is not a host is ignored',
    );
    assert.equal(
      publicUrl(request(forwarded), '/e', options('https://calendar.example', true)),
      'https://calendar.example/e',
    );
    assert.throws(() => options('https://calendar.example/base'), TypeError);
  });

  it('takes the certificate header only from a trusted peer, and only when well formed', () => {
    const der = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]);
    const header = { 'client-cert': `:${der.toString('base64')}:` };
    const peer = { getPeerCertificate: () => ({ raw: Buffer.from([0x30, 0x00]) }) };
    assert.deepEqual(clientCertificate(request(header, peer), options(undefined, ['10.0.0.5'], 'Client-Cert')), der);
    assert.deepEqual(
      clientCertificate(request(header, peer), options(undefined, false, 'Client-Cert')),
      Buffer.from([0x30, 0x00]),
      'untrusted peer: the connection certificate',
    );
    for (const garbage of ['', 'MAMCAQE=', ':not base64!:', ':MAMCAQE=:, :MAMCAQE=:', ':AAAA:']) {
      const got = clientCertificate(request({ 'client-cert': garbage }), options(undefined, true, 'client-cert'));
      assert.equal(got, undefined, garbage);
    }
    assert.equal(clientCertificate(request({}), options()), undefined, 'no TLS socket');
  });
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { CLIENT_SAN, makeCertificates, type TestCertificates } from '../../test/openssl-certificates.js';
import { certificateFields, DerError } from './certificate-der.js';

describe('reading a certificate from its DER', () => {
  let certs: TestCertificates;
  before(() => {
    certs = makeCertificates();
  });
  after(() => certs.remove());

  it('reads the subject in certificate order, the SANs and the validity openssl wrote', () => {
    const f = certificateFields(certs.client.der);
    assert.deepEqual(
      f.subject.map((rdn) => rdn.map((a) => [a.type, a.text])),
      [[['2.5.4.6', 'DE']], [['2.5.4.10', 'Example, Inc.']], [['2.5.4.11', 'Payments']], [['2.5.4.3', 'pdf-caller']]],
    );
    assert.deepEqual(f.san, {
      dns: [CLIENT_SAN.dns],
      uri: [CLIENT_SAN.uri],
      ip: [Buffer.from([10, 1, 2, 3])],
      email: [CLIENT_SAN.email],
    });
    const dates = execFileSync('openssl', ['x509', '-in', certs.client.cert, '-noout', '-startdate', '-enddate'], {
      encoding: 'utf8',
    });
    const [, start] = /notBefore=(.+)/.exec(dates) ?? [];
    const [, end] = /notAfter=(.+)/.exec(dates) ?? [];
    assert.equal(f.notBefore, Date.parse(start as string));
    assert.equal(f.notAfter, Date.parse(end as string));
  });

  it('reads a certificate without SANs', () => {
    assert.deepEqual(certificateFields(certs.selfSigned.der).san, { dns: [], uri: [], ip: [], email: [] });
  });

  it('refuses every truncation and trailing bytes with a DerError, and survives flipped bytes', () => {
    const der = certs.client.der;
    for (let n = 0; n < der.length; n++) {
      assert.throws(() => certificateFields(der.subarray(0, n)), DerError, `truncated to ${n}`);
    }
    assert.throws(() => certificateFields(Buffer.concat([der, Buffer.from([0])])), DerError);
    for (let i = 0; i < der.length; i++) {
      const flipped = Buffer.from(der);
      flipped[i] = (flipped[i] as number) ^ 0xff;
      try {
        certificateFields(flipped);
      } catch (err) {
        assert.ok(err instanceof DerError, `byte ${i}: ${String(err)}`);
      }
    }
  });
});

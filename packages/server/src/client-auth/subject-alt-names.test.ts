import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SubjectAltNames } from './certificate-der.js';
import { canonicalIp, sanMatches } from './subject-alt-names.js';

const SAN: SubjectAltNames = {
  dns: ['svc.example.com', 'other.example.com'],
  uri: ['spiffe://example.org/ns/payments/sa/pdf-caller'],
  ip: [Buffer.from([10, 1, 2, 3]), Buffer.from('20010db8000000000000000000000001', 'hex')],
  email: ['Caller@Example.com'],
};

describe('tls_client_auth SAN matching', () => {
  it('matches a DNS name without case and with a trailing dot, never as a pattern', () => {
    assert.equal(sanMatches({ kind: 'dns', value: 'SVC.example.com' }, SAN), true);
    assert.equal(sanMatches({ kind: 'dns', value: 'other.example.com.' }, SAN), true);
    assert.equal(sanMatches({ kind: 'dns', value: 'example.com' }, SAN), false);
    assert.equal(sanMatches({ kind: 'dns', value: '*.example.com' }, SAN), false);
    const wildcard: SubjectAltNames = { ...SAN, dns: ['*.example.com'] };
    assert.equal(sanMatches({ kind: 'dns', value: 'svc.example.com' }, wildcard), false);
  });

  it('matches a URI exactly', () => {
    assert.equal(sanMatches({ kind: 'uri', value: 'spiffe://example.org/ns/payments/sa/pdf-caller' }, SAN), true);
    assert.equal(sanMatches({ kind: 'uri', value: 'spiffe://example.org/ns/payments/sa/pdf' }, SAN), false);
    assert.equal(sanMatches({ kind: 'uri', value: 'SPIFFE://example.org/ns/payments/sa/pdf-caller/' }, SAN), false);
  });

  it('matches IP addresses as addresses, whatever their spelling', () => {
    assert.equal(sanMatches({ kind: 'ip', value: '10.1.2.3' }, SAN), true);
    assert.equal(sanMatches({ kind: 'ip', value: '2001:db8::1' }, SAN), true);
    assert.equal(sanMatches({ kind: 'ip', value: '2001:0DB8:0:0:0:0:0:1' }, SAN), true);
    assert.equal(sanMatches({ kind: 'ip', value: '10.1.2.4' }, SAN), false);
    assert.equal(sanMatches({ kind: 'ip', value: '::ffff:10.1.2.3' }, SAN), false);
    assert.equal(canonicalIp('not an ip'), undefined);
  });

  it('matches an email with the local part exact and the domain without case', () => {
    assert.equal(sanMatches({ kind: 'email', value: 'Caller@example.COM' }, SAN), true);
    assert.equal(sanMatches({ kind: 'email', value: 'caller@example.com' }, SAN), false);
  });

  it('does not match across kinds', () => {
    assert.equal(sanMatches({ kind: 'dns', value: '10.1.2.3' }, SAN), false);
    assert.equal(sanMatches({ kind: 'email', value: 'svc.example.com' }, SAN), false);
  });
});

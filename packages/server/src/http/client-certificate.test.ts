import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_CERTIFICATE_HEADER, parseByteSequence, parseByteSequenceList } from './client-certificate.js';
import { trustProxyFunction } from './trust-proxy.js';

describe('RFC 9440 certificate headers', () => {
  const der = Buffer.from('3082010a0282010100c0ffee', 'hex');
  const b64 = der.toString('base64');

  it('reads a structured-field byte sequence, with or without padding, around spaces', () => {
    assert.deepEqual(parseByteSequence(`:${b64}:`), der);
    assert.deepEqual(parseByteSequence(`  :${b64}: `), der);
    assert.deepEqual(parseByteSequence(`:${b64.replace(/=+$/, '')}:`), der);
  });

  it('refuses anything else: missing colons, bad base64, base64url, empty, parameters, oversized', () => {
    for (const bad of [
      b64,
      `:${b64}`,
      `${b64}:`,
      '::',
      ':',
      ':not base64!:',
      `:${der.toString('base64url')}-_:`,
      `:${b64};foo=1:`,
      `:${b64}:;foo=1`,
      `:AA=A:`,
      `:${'A'.repeat(MAX_CERTIFICATE_HEADER)}:`,
    ]) {
      assert.equal(parseByteSequence(bad), undefined, bad.slice(0, 40));
    }
  });

  it('reads Client-Cert-Chain as a list of byte sequences, or not at all', () => {
    assert.deepEqual(parseByteSequenceList(`:${b64}:, :${b64}:`), [der, der]);
    assert.equal(parseByteSequenceList(`:${b64}:, garbage`), undefined);
    assert.equal(parseByteSequenceList(Array(9).fill(`:${b64}:`).join(',')), undefined);
  });
});

describe('TESSERA_TRUST_PROXY as one decision', () => {
  it('trusts no one when false, and everyone when true', () => {
    assert.equal(trustProxyFunction(false), false);
    const all = trustProxyFunction(true);
    assert.equal(all !== false && all('203.0.113.9', 0), true);
  });

  it('trusts listed addresses and CIDRs only', () => {
    const trust = trustProxyFunction(['127.0.0.1', '10.0.0.0/8']);
    assert.ok(trust);
    assert.equal(trust('127.0.0.1', 0), true);
    assert.equal(trust('10.9.8.7', 0), true);
    assert.equal(trust('::ffff:127.0.0.1', 0), true);
    assert.equal(trust('203.0.113.9', 0), false);
    assert.equal(trust('127.0.0.2', 0), false);
  });

  it('trusts no immediate peer for a hop count, as Fastify does', () => {
    const trust = trustProxyFunction(1);
    assert.ok(trust);
    assert.equal(trust('127.0.0.1', 0), false);
  });
});

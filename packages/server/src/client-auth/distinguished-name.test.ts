import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Attribute, Name } from './certificate-der.js';
import { DnSyntaxError, dnMatches, parseDn } from './distinguished-name.js';

const CN = '2.5.4.3';
const O = '2.5.4.10';
const OU = '2.5.4.11';
const C = '2.5.4.6';
const UID = '0.9.2342.19200300.100.1.1';

/** A UTF8String attribute as a certificate holds it. */
function utf8(type: string, text: string): Attribute {
  const bytes = Buffer.from(text, 'utf8');
  return { type, text, der: Buffer.concat([Buffer.from([0x0c, bytes.length]), bytes]) };
}

/** The subject of the test certificates, in certificate order: C, O, OU, CN. */
const SUBJECT: Name = [[utf8(C, 'DE')], [utf8(O, 'Example, Inc.')], [utf8(OU, 'Payments')], [utf8(CN, 'pdf-caller')]];

describe('RFC 4514 distinguished names', () => {
  it('parses the RDNs most specific first, into certificate order', () => {
    assert.deepEqual(parseDn('CN=a,O=b,C=DE'), [
      [{ type: C, value: 'DE' }],
      [{ type: O, value: 'b' }],
      [{ type: CN, value: 'a' }],
    ]);
  });

  /** The value of a one-attribute DN. */
  const only = (dn: string) => parseDn(dn)[0]?.[0]?.value;

  it('reads every RFC 4514 escape: specials, hex pairs (UTF-8) and a leading # or space', () => {
    assert.equal(only('CN=\\"a\\+b\\,c\\;d\\<e\\>f\\\\g\\=h'), '"a+b,c;d<e>f\\g=h');
    assert.equal(only('CN=Lu\\C4\\8Di\\C4\\87'), 'Lučić');
    assert.equal(only('CN=\\#1'), '#1');
    assert.equal(only('CN=\\ x\\ '), ' x ');
  });

  it('takes #hex values as DER bytes and OIDs as types', () => {
    const [[attr]] = parseDn('2.5.4.3=#0c0161') as [[{ type: string; value: Buffer }]];
    assert.equal(attr.type, CN);
    assert.deepEqual(attr.value, Buffer.from([0x0c, 0x01, 0x61]));
  });

  it('refuses what is not a DN', () => {
    for (const bad of ['', 'CN', 'CN=a,', 'XX=a', 'CN=a"b', 'CN=a;b', 'CN=\\zz', 'CN=#abc', 'CN=\\ff', '1.2=a,=b']) {
      assert.throws(() => parseDn(bad), DnSyntaxError, bad);
    }
  });

  it('matches the same DN written with other case, spacing, type names and escapes', () => {
    for (const dn of [
      'CN=pdf-caller,OU=Payments,O=Example\\, Inc.,C=DE',
      'cn=PDF-Caller, ou=payments, o=example\\, inc., c=de',
      'commonName=pdf-caller,organizationalUnitName=Payments,organizationName=Example\\2C Inc.,countryName=DE',
      '2.5.4.3=pdf-caller,OID.2.5.4.11=Payments,O=Example\\,   Inc.,C=DE',
      'CN=  pdf-caller  ,OU=Payments,O=Example\\, Inc.,C=DE',
      'CN=#0c0a7064662d63616c6c6572,OU=Payments,O=Example\\, Inc.,C=DE',
    ]) {
      assert.equal(dnMatches(parseDn(dn), SUBJECT), true, dn);
    }
  });

  it('does not match another order, a missing or extra RDN, another value or another type', () => {
    for (const dn of [
      'C=DE,O=Example\\, Inc.,OU=Payments,CN=pdf-caller',
      'CN=pdf-caller,OU=Payments,O=Example\\, Inc.',
      'CN=pdf-caller,OU=Payments,O=Example\\, Inc.,C=DE,DC=com',
      'CN=pdf-caller2,OU=Payments,O=Example\\, Inc.,C=DE',
      'CN=pdf caller,OU=Payments,O=Example\\, Inc.,C=DE',
      'UID=pdf-caller,OU=Payments,O=Example\\, Inc.,C=DE',
      'CN=pdf-caller,OU=Payments,O=Example Inc.,C=DE',
      'CN=pdf-caller+UID=1,OU=Payments,O=Example\\, Inc.,C=DE',
      'CN=#0c0a5044462d63616c6c6572,OU=Payments,O=Example\\, Inc.,C=DE',
    ]) {
      assert.equal(dnMatches(parseDn(dn), SUBJECT), false, dn);
    }
  });

  it('compares a multi-valued RDN as a set', () => {
    const subject: Name = [[utf8(O, 'Example')], [utf8(CN, 'a'), utf8(UID, 'u1')]];
    assert.equal(dnMatches(parseDn('UID=u1+CN=a,O=Example'), subject), true);
    assert.equal(dnMatches(parseDn('CN=a + UID=u1,O=Example'), subject), true);
    assert.equal(dnMatches(parseDn('CN=a,UID=u1,O=Example'), subject), false);
    assert.equal(dnMatches(parseDn('CN=a+CN=a,O=Example'), subject), false);
  });

  it('compares values of types it does not know exactly, after space handling', () => {
    const subject: Name = [[utf8('1.2.3.4', 'Mixed Case')]];
    assert.equal(dnMatches(parseDn('1.2.3.4=Mixed  Case'), subject), true);
    assert.equal(dnMatches(parseDn('1.2.3.4=mixed case'), subject), false);
  });

  it('matches a non-string value only by #hex', () => {
    const der = Buffer.from([0x02, 0x01, 0x05]);
    const subject: Name = [[{ type: '1.2.3.4', text: undefined, der }]];
    assert.equal(dnMatches(parseDn('1.2.3.4=#020105'), subject), true);
    assert.equal(dnMatches(parseDn('1.2.3.4=5'), subject), false);
  });
});

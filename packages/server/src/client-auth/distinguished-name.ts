import type { Attribute, Name } from './certificate-der.js';

/**
 * Distinguished names as RFC 8705's `tls_client_auth_subject_dn` needs them:
 * the RFC 4514 string a client registered, parsed, and compared with the
 * subject of the certificate it presents.
 *
 * The comparison rule (RFC 4517 §4.2.15 distinguishedNameMatch, with the
 * usual leniency of RFC 2253 parsers):
 * - the same RDNs in the same order (an RFC 4514 string lists them most
 *   specific first, the reverse of the certificate's order);
 * - within a multi-valued RDN (`CN=a+UID=b`), the same attributes in any order;
 * - attribute types by OID, so `cn`, `CN` and `2.5.4.3` are one type;
 * - values of the common string attributes (CN, O, OU, C, L, ST, STREET,
 *   DC, UID, emailAddress, serialNumber, title …) by caseIgnoreMatch:
 *   Unicode NFKC, case folded, leading and trailing spaces dropped and inner
 *   runs of spaces made one (RFC 4518 insignificant space handling);
 *   values of other types exactly, after the same space handling;
 * - a `#hex` value (RFC 4514 §2.4) matches the certificate value whose DER
 *   encoding is those bytes;
 * - unescaped spaces around `,`, `+` and `=` are ignored.
 */

/** RFC 4514 §3's names, and the other string attributes seen in client certificates. */
const TYPES: Readonly<Record<string, string>> = {
  cn: '2.5.4.3',
  commonname: '2.5.4.3',
  sn: '2.5.4.4',
  surname: '2.5.4.4',
  serialnumber: '2.5.4.5',
  c: '2.5.4.6',
  countryname: '2.5.4.6',
  l: '2.5.4.7',
  localityname: '2.5.4.7',
  st: '2.5.4.8',
  s: '2.5.4.8',
  stateorprovincename: '2.5.4.8',
  street: '2.5.4.9',
  streetaddress: '2.5.4.9',
  o: '2.5.4.10',
  organizationname: '2.5.4.10',
  ou: '2.5.4.11',
  organizationalunitname: '2.5.4.11',
  title: '2.5.4.12',
  businesscategory: '2.5.4.15',
  postalcode: '2.5.4.17',
  name: '2.5.4.41',
  gn: '2.5.4.42',
  givenname: '2.5.4.42',
  initials: '2.5.4.43',
  generationqualifier: '2.5.4.44',
  dnqualifier: '2.5.4.46',
  pseudonym: '2.5.4.65',
  organizationidentifier: '2.5.4.97',
  dc: '0.9.2342.19200300.100.1.25',
  domaincomponent: '0.9.2342.19200300.100.1.25',
  uid: '0.9.2342.19200300.100.1.1',
  userid: '0.9.2342.19200300.100.1.1',
  emailaddress: '1.2.840.113549.1.9.1',
  e: '1.2.840.113549.1.9.1',
};

/** Types compared by caseIgnoreMatch (or caseIgnoreIA5Match): every named one above. */
const CASE_IGNORED = new Set(Object.values(TYPES));

/** One attribute of a registered DN: a string value, or the DER bytes of a `#hex` one. */
export interface DnAttribute {
  readonly type: string;
  readonly value: string | Buffer;
}

/** A parsed DN, in certificate (ASN.1) order. */
export type ParsedDn = readonly (readonly DnAttribute[])[];

export class DnSyntaxError extends Error {
  override name = 'DnSyntaxError';
}

const OID = /^\d+(\.\d+)+$/;
const KEYWORD = /^[A-Za-z][A-Za-z0-9-]*$/;
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;
/** Characters RFC 4514 §3 lets a backslash escape as themselves. */
const ESCAPABLE = new Set(['"', '+', ',', ';', '<', '>', '\\', ' ', '#', '=']);
const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** Characters that must be escaped inside a value. */
const SPECIAL = new Set(['"', ';', '<', '>']);

/** Parses an RFC 4514 string; throws DnSyntaxError with a short reason. */
export function parseDn(dn: string): ParsedDn {
  if (dn.trim() === '') throw new DnSyntaxError('empty');
  const rdns: DnAttribute[][] = [[]];
  let i = 0;
  for (;;) {
    const eq = dn.indexOf('=', i);
    if (eq < 0) throw new DnSyntaxError('an attribute without =');
    const type = attributeType(dn.slice(i, eq).trim());
    const { value, next } = readValue(dn, eq + 1);
    (rdns[rdns.length - 1] as DnAttribute[]).push({ type, value });
    if (next >= dn.length) break;
    if (dn[next] === ',') rdns.push([]);
    i = next + 1;
  }
  return rdns.reverse();
}

function attributeType(raw: string): string {
  if (OID.test(raw)) return raw;
  // RFC 2253 parsers also accept `OID.2.5.4.3`.
  if (/^oid\./i.test(raw) && OID.test(raw.slice(4))) return raw.slice(4);
  if (!KEYWORD.test(raw)) throw new DnSyntaxError(`bad attribute type ${raw.slice(0, 20)}`);
  const oid = TYPES[raw.toLowerCase()];
  if (!oid) throw new DnSyntaxError(`unknown attribute type ${raw.slice(0, 20)} (use its OID)`);
  return oid;
}

/** A value from `at` to the next unescaped `,` or `+` (returned as `next`). */
function readValue(dn: string, at: number): { value: string | Buffer; next: number } {
  let i = at;
  while (dn[i] === ' ') i++;
  if (dn[i] === '#') {
    let j = i + 1;
    while (j < dn.length && /[0-9A-Fa-f]/.test(dn[j] as string)) j++;
    const hex = dn.slice(i + 1, j);
    let k = j;
    while (dn[k] === ' ') k++;
    if (hex.length === 0 || hex.length % 2 !== 0 || (k < dn.length && dn[k] !== ',' && dn[k] !== '+')) {
      throw new DnSyntaxError('bad #hex value');
    }
    return { value: Buffer.from(hex, 'hex'), next: k };
  }
  const bytes: number[] = [];
  // How many bytes at the end are unescaped spaces (insignificant, dropped).
  let trailing = 0;
  for (; i < dn.length; i++) {
    const c = dn[i] as string;
    if (c === ',' || c === '+') break;
    if (c === '\\') {
      const next = dn[i + 1];
      const pair = dn.slice(i + 1, i + 3);
      if (HEX_PAIR.test(pair)) {
        bytes.push(Number.parseInt(pair, 16));
        i += 2;
      } else if (next !== undefined && ESCAPABLE.has(next)) {
        bytes.push(next.charCodeAt(0));
        i += 1;
      } else {
        throw new DnSyntaxError('bad escape');
      }
      trailing = 0;
      continue;
    }
    if (SPECIAL.has(c)) throw new DnSyntaxError(`unescaped ${c} in a value`);
    // Whole code points: a character beyond the BMP is two UTF-16 units.
    const char = String.fromCodePoint(dn.codePointAt(i) as number);
    i += char.length - 1;
    for (const b of Buffer.from(char, 'utf8')) bytes.push(b);
    trailing = c === ' ' ? trailing + 1 : 0;
  }
  const text = Buffer.from(bytes.slice(0, bytes.length - trailing));
  try {
    return { value: UTF8.decode(text), next: i };
  } catch {
    throw new DnSyntaxError('escaped bytes are not UTF-8');
  }
}

/** RFC 4518 insignificant space handling (and NFKC) for every string value. */
function spaces(s: string): string {
  return s.normalize('NFKC').trim().replace(/\s+/g, ' ');
}

function attributeMatches(registered: DnAttribute, presented: Attribute): boolean {
  if (registered.type !== presented.type) return false;
  if (Buffer.isBuffer(registered.value)) return registered.value.equals(presented.der);
  if (presented.text === undefined) return false;
  const a = spaces(registered.value);
  const b = spaces(presented.text);
  return CASE_IGNORED.has(registered.type) ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/** Whether a certificate's subject is the registered DN, by the rule at the top of this file. */
export function dnMatches(registered: ParsedDn, subject: Name): boolean {
  if (registered.length !== subject.length) return false;
  for (let r = 0; r < registered.length; r++) {
    const want = registered[r] as readonly DnAttribute[];
    const have = subject[r] as readonly Attribute[];
    if (want.length !== have.length) return false;
    const used = new Set<number>();
    for (const w of want) {
      const k = have.findIndex((h, idx) => !used.has(idx) && attributeMatches(w, h));
      if (k < 0) return false;
      used.add(k);
    }
  }
  return true;
}

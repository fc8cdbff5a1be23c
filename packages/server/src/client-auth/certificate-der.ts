/**
 * The few parts of an X.509 certificate (RFC 5280) that certificate client
 * authentication compares, read from its DER. node:crypto's X509Certificate
 * checks signatures and issuers, but prints names and SANs as text that
 * loses what RFC 4514 comparison needs (attribute order, multi-valued RDNs,
 * string types), so those are read here from the bytes.
 */

/** One attribute of a distinguished name: its type as a dotted OID, its value decoded. */
export interface Attribute {
  readonly type: string;
  /** The decoded string, or undefined when the value is not a string type. */
  readonly text: string | undefined;
  /** The value's whole DER encoding (RFC 4514 §2.4 `#hex` form compares it). */
  readonly der: Buffer;
}

/** A distinguished name in certificate (ASN.1) order: RDNs, each a set of one or more attributes. */
export type Name = readonly (readonly Attribute[])[];

export interface SubjectAltNames {
  readonly dns: readonly string[];
  readonly uri: readonly string[];
  /** IP addresses as their 4 or 16 bytes. */
  readonly ip: readonly Buffer[];
  readonly email: readonly string[];
}

export interface CertificateFields {
  readonly subject: Name;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly san: SubjectAltNames;
}

export class DerError extends Error {
  override name = 'DerError';
}

interface Element {
  tag: number;
  /** Where the contents start and end in `buf`. */
  start: number;
  end: number;
  /** Where the element (header included) starts. */
  from: number;
}

function readElement(buf: Buffer, at: number, limit: number): Element {
  if (at + 2 > limit) throw new DerError('truncated');
  const tag = buf[at] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not used in certificates');
  let len = buf[at + 1] as number;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new DerError('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[start + i] as number);
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new DerError('truncated');
  return { tag, start, end, from: at };
}

function children(buf: Buffer, parent: Element): Element[] {
  const out: Element[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const e = readElement(buf, at, parent.end);
    out.push(e);
    at = e.end;
  }
  return out;
}

function expect(e: Element | undefined, tag: number, what: string): Element {
  if (!e || e.tag !== tag) throw new DerError(`expected ${what}`);
  return e;
}

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;

function oid(buf: Buffer, e: Element): string {
  const bytes = buf.subarray(e.start, e.end);
  if (bytes.length === 0) throw new DerError('empty OID');
  const first = bytes[0] as number;
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i] as number;
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** The string types a name may use (RFC 5280 DirectoryString, plus IA5 and Printable). */
function decodeString(buf: Buffer, e: Element): string | undefined {
  const bytes = buf.subarray(e.start, e.end);
  switch (e.tag) {
    case 0x0c: // UTF8String
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x12: // NumericString
      return bytes.toString('utf8');
    case 0x14: // TeletexString: in practice Latin-1
      return bytes.toString('latin1');
    case 0x1e: // BMPString: UTF-16BE
      return bytes.length % 2 === 0 ? Buffer.from(bytes).swap16().toString('utf16le') : undefined;
    case 0x1c: {
      // UniversalString: UTF-32BE
      let s = '';
      for (let i = 0; i + 3 < bytes.length; i += 4) s += String.fromCodePoint(bytes.readUInt32BE(i));
      return s;
    }
    default:
      return undefined;
  }
}

function readName(buf: Buffer, e: Element): Name {
  expect(e, SEQUENCE, 'Name');
  return children(buf, e).map((rdn) => {
    expect(rdn, SET, 'RelativeDistinguishedName');
    return children(buf, rdn).map((atv) => {
      const [type, value] = children(buf, expect(atv, SEQUENCE, 'AttributeTypeAndValue'));
      if (!value) throw new DerError('attribute without value');
      return {
        type: oid(buf, expect(type, OID, 'attribute type')),
        text: decodeString(buf, value),
        der: buf.subarray(value.from, value.end),
      };
    });
  });
}

function readTime(buf: Buffer, e: Element | undefined): number {
  if (!e || (e.tag !== 0x17 && e.tag !== 0x18)) throw new DerError('expected a time');
  const s = buf.toString('latin1', e.start, e.end);
  // UTCTime YYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.1: YY < 50 is 20YY); GeneralizedTime YYYYMMDDHHMMSSZ.
  const m =
    e.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw new DerError('bad time');
  let year = Number(m[1]);
  if (e.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

const SAN_OID = '2.5.29.17';

function readSan(buf: Buffer, extensions: Element | undefined): SubjectAltNames {
  const san = { dns: [] as string[], uri: [] as string[], ip: [] as Buffer[], email: [] as string[] };
  if (!extensions) return san;
  const list = children(buf, extensions)[0];
  for (const ext of children(buf, expect(list, SEQUENCE, 'Extensions'))) {
    const parts = children(buf, expect(ext, SEQUENCE, 'Extension'));
    if (oid(buf, expect(parts[0], OID, 'extension id')) !== SAN_OID) continue;
    const value = expect(parts[parts.length - 1], 0x04, 'extension value');
    const names = readElement(buf, value.start, value.end);
    for (const g of children(buf, expect(names, SEQUENCE, 'GeneralNames'))) {
      // Context-specific, primitive tags of GeneralName (RFC 5280 §4.2.1.6).
      const text = () => buf.toString('latin1', g.start, g.end);
      if (g.tag === 0x81) san.email.push(text());
      else if (g.tag === 0x82) san.dns.push(text());
      else if (g.tag === 0x86) san.uri.push(text());
      else if (g.tag === 0x87) san.ip.push(Buffer.from(buf.subarray(g.start, g.end)));
    }
  }
  return san;
}

/** Reads subject, validity and subject alternative names from a certificate's DER; throws DerError. */
export function certificateFields(der: Buffer): CertificateFields {
  const cert = readElement(der, 0, der.length);
  if (cert.end !== der.length) throw new DerError('trailing bytes');
  const [tbs] = children(der, expect(cert, SEQUENCE, 'Certificate'));
  const fields = children(der, expect(tbs, SEQUENCE, 'TBSCertificate'));
  // [0] version is optional: v1 certificates leave it out.
  const i = fields[0]?.tag === 0xa0 ? 1 : 0;
  const validity = children(der, expect(fields[i + 3], SEQUENCE, 'Validity'));
  const subject = fields[i + 4];
  if (!subject) throw new DerError('no subject');
  return {
    subject: readName(der, subject),
    notBefore: readTime(der, validity[0]),
    notAfter: readTime(der, validity[1]),
    san: readSan(
      der,
      fields.find((f) => f.tag === 0xa3),
    ),
  };
}

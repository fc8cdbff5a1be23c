import { isIP } from 'node:net';
import type { SubjectAltNames } from './certificate-der.js';

/** The one SAN a tls_client_auth client registered (RFC 8705 §2.1.2). */
export type RegisteredSan =
  | { readonly kind: 'dns'; readonly value: string }
  | { readonly kind: 'uri'; readonly value: string }
  | { readonly kind: 'ip'; readonly value: string }
  | { readonly kind: 'email'; readonly value: string };

/**
 * An IP address in one canonical text (the WHATWG URL host serializer:
 * dotted quad, or compressed lowercase IPv6), so `::1`, `0:0::1` and the
 * certificate's 16 bytes all compare equal.
 */
export function canonicalIp(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 0) return undefined;
  try {
    return new URL(`http://${family === 6 ? `[${ip}]` : ip}/`).hostname;
  } catch {
    return undefined;
  }
}

function ipText(bytes: Buffer): string | undefined {
  if (bytes.length === 4) return canonicalIp([...bytes].join('.'));
  if (bytes.length !== 16) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return canonicalIp(groups.join(':'));
}

/** Mailbox: the local part exactly, the domain without case (RFC 5280 §7.5). */
function sameEmail(a: string, b: string): boolean {
  const at = a.lastIndexOf('@');
  const bt = b.lastIndexOf('@');
  return (
    at > 0 && at === bt && a.slice(0, at) === b.slice(0, bt) && a.slice(at).toLowerCase() === b.slice(bt).toLowerCase()
  );
}

/**
 * Whether one of the certificate's SAN entries of the registered kind is the
 * registered value: DNS names without case (no wildcard expansion: RFC 8705
 * matches an entry, it does not match a host against a pattern), URIs
 * exactly, IP addresses as addresses, email by sameEmail.
 */
export function sanMatches(registered: RegisteredSan, san: SubjectAltNames): boolean {
  switch (registered.kind) {
    case 'dns': {
      const want = registered.value.toLowerCase().replace(/\.$/, '');
      return san.dns.some((d) => d.toLowerCase().replace(/\.$/, '') === want);
    }
    case 'uri':
      return san.uri.includes(registered.value);
    case 'ip': {
      const want = canonicalIp(registered.value);
      return want !== undefined && san.ip.some((b) => ipText(b) === want);
    }
    case 'email':
      return san.email.some((e) => sameEmail(e, registered.value));
  }
}

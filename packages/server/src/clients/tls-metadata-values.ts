import { z } from 'zod';
import { DnSyntaxError, parseDn } from '../client-auth/distinguished-name.js';
import { canonicalIp } from '../client-auth/subject-alt-names.js';
import { PRINTABLE, wireText } from './metadata-values.js';

/** The schemas of RFC 8705's tls_client_auth_* metadata (clients/metadata-fields.ts). */

export const subjectDn = z
  .string()
  .min(1)
  .max(1024)
  .regex(PRINTABLE, 'tls_client_auth_subject_dn: must be printable text')
  .superRefine((dn, ctx) => {
    try {
      parseDn(dn);
    } catch (err) {
      const why = err instanceof DnSyntaxError ? wireText(err.message, 60) : 'invalid';
      ctx.addIssue({ code: 'custom', message: `tls_client_auth_subject_dn: not an RFC 4514 DN (${why})` });
    }
  });

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

export const sanDns = z
  .string()
  .max(253)
  .refine(
    (s) =>
      s
        .replace(/\.$/, '')
        .split('.')
        .every((l) => LABEL.test(l)),
    'tls_client_auth_san_dns: must be a DNS name',
  );

export const sanUri = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      return new URL(s).protocol.length > 1 && PRINTABLE.test(s) && !s.includes(' ');
    } catch {
      return false;
    }
  }, 'tls_client_auth_san_uri: must be an absolute URI');

export const sanIp = z
  .string()
  .max(64)
  .refine((s) => canonicalIp(s) !== undefined, 'tls_client_auth_san_ip: must be an IPv4 or IPv6 address');

export const sanEmail = z
  .string()
  .max(320)
  .regex(/^[^@\s]+@[^@\s]+$/, 'tls_client_auth_san_email: must be an email address');

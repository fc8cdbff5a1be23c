import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real certificates for the mutual TLS tests, made by the openssl command
 * line (as an operator would), never by the code under test. Valid from now
 * for two days: a test that needs another time moves its clock.
 */
export interface Pem {
  /** Paths of the PEM files. */
  readonly cert: string;
  readonly key: string;
  /** The certificate, PEM text, and DER. */
  readonly pem: string;
  readonly der: Buffer;
}

export interface TestCertificates {
  readonly dir: string;
  readonly ca: Pem;
  /** For the TLS server: CN and SAN localhost / 127.0.0.1, issued by `ca`. */
  readonly server: Pem;
  /** Issued by `ca`: subject CLIENT_DN (with an escaped comma), the SANs below, clientAuth. */
  readonly client: Pem;
  /** Issued by an intermediate CA (`intermediate`) that `ca` issued. */
  readonly intermediate: Pem;
  readonly chained: Pem;
  /** Self-signed, for self_signed_tls_client_auth. */
  readonly selfSigned: Pem;
  /** The same subject and SANs as `client`, issued by another CA. */
  readonly foreign: Pem;
  /** serverAuth only: not for client authentication. */
  readonly serverOnly: Pem;
  /** `openssl x509 -outform DER | openssl dgst -sha256 -binary`, base64url: RFC 8705's x5t#S256. */
  thumbprint(cert: Pem): string;
  remove(): void;
}

/** The client certificate's subject as RFC 4514 writes it (most specific first). */
export const CLIENT_DN = 'CN=pdf-caller,OU=Payments,O=Example\\, Inc.,C=DE';
export const CLIENT_SAN = {
  dns: 'pdf-caller.example.com',
  uri: 'spiffe://example.org/ns/payments/sa/pdf-caller',
  ip: '10.1.2.3',
  email: 'pdf-caller@example.com',
};

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-mtls-'));
  const pem = (name: string): Pem => {
    const cert = join(dir, `${name}.pem`);
    const text = readFileSync(cert, 'utf8');
    const b64 = text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    return { cert, key: join(dir, `${name}.key`), pem: text, der: Buffer.from(b64, 'base64') };
  };
  /** A self-signed P-256 certificate: a CA (with `extensions`) or a client's own. */
  const selfSigned = (name: string, subject: string, extensions: readonly string[] = []) =>
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        '-subj',
        subject,
        ...extensions.flatMap((e) => ['-addext', e]),
      ],
      dir,
    );
  const selfSignedCa = (name: string, subject: string) =>
    selfSigned(name, subject, ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign']);
  const issue = (name: string, subject: string, issuer: string, extensions: string) => {
    openssl(
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
        '-subj',
        subject,
      ],
      dir,
    );
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${issuer}.pem`,
        '-CAkey',
        `${issuer}.key`,
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
  };
  const clientSubject = '/C=DE/O=Example, Inc./OU=Payments/CN=pdf-caller';
  const clientExt =
    `subjectAltName=DNS:${CLIENT_SAN.dns},URI:${CLIENT_SAN.uri},IP:${CLIENT_SAN.ip},email:${CLIENT_SAN.email}\n` +
    'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n';
  selfSignedCa('ca', '/CN=Tessera Test Client CA');
  selfSignedCa('other-ca', '/CN=Another CA');
  issue('server', '/CN=localhost', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('client', clientSubject, 'ca', clientExt);
  issue('foreign', clientSubject, 'other-ca', clientExt);
  issue('server-only', clientSubject, 'ca', 'extendedKeyUsage=serverAuth\n');
  issue(
    'intermediate',
    '/CN=Tessera Test Intermediate',
    'ca',
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n',
  );
  issue('chained', '/O=Example/CN=chained-caller', 'intermediate', 'extendedKeyUsage=clientAuth\n');
  selfSigned('self-signed', '/CN=self-signed-caller');
  return {
    dir,
    ca: pem('ca'),
    server: pem('server'),
    client: pem('client'),
    intermediate: pem('intermediate'),
    chained: pem('chained'),
    selfSigned: pem('self-signed'),
    foreign: pem('foreign'),
    serverOnly: pem('server-only'),
    thumbprint(cert) {
      const der = execFileSync('openssl', ['x509', '-in', cert.cert, '-outform', 'DER']);
      const digest = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der });
      return digest.toString('base64url');
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

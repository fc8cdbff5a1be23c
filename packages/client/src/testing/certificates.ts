import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  cert: string;
  key: string;
  /** The DER of the certificate. */
  der: Buffer;
}

/** A self-signed P-256 certificate made by openssl, for TLS tests. */
export function selfSigned(commonName: string, san = 'DNS:localhost,IP:127.0.0.1'): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cert-'));
  try {
    const [keyPath, certPath] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '1',
        '-subj',
        `/CN=${commonName}`,
        '-addext',
        `subjectAltName=${san}`,
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(certPath, 'utf8');
    return { cert, key: readFileSync(keyPath, 'utf8'), der: Buffer.from(new X509Certificate(cert).raw) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';

/**
 * DPoP proofs (RFC 9449) for the load generator. wrk cannot sign, and a
 * proof's `jti` is single use and its `iat` must be recent, so each run gets
 * a fresh file of distinct proofs, written just before it starts, all made
 * with one ES256 key: the key the tokens are bound to.
 */
export class DpopProofs {
  readonly #privateKey: KeyObject;
  readonly #header: string;
  /** The key's RFC 7638 thumbprint: what the bound tokens' `cnf.jkt` must be. */
  readonly thumbprint: string;

  constructor(
    readonly file: string,
    readonly htu: string,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#privateKey = privateKey;
    const { crv, kty, x, y } = publicKey.export({ format: 'jwk' });
    const jwk = { crv, kty, x, y };
    this.#header = b64(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk }));
    this.thumbprint = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
  }

  /** Writes `count` proofs, one per line, for POSTs to `htu`, issued now. */
  write(count: number): void {
    const iat = Math.floor(Date.now() / 1000);
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      const payload = b64(
        JSON.stringify({ jti: randomBytes(12).toString('base64url'), htm: 'POST', htu: this.htu, iat }),
      );
      const input = `${this.#header}.${payload}`;
      const signature = sign('sha256', Buffer.from(input), { key: this.#privateKey, dsaEncoding: 'ieee-p1363' });
      lines.push(`${input}.${signature.toString('base64url')}`);
    }
    writeFileSync(this.file, `${lines.join('\n')}\n`);
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');

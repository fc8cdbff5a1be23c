import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: PrivateKey;
  jwk: JWK;
}

export async function signingKey(kid: string, alg = 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** How the issuer answers its key requests: as it should, or in one of the ways an issuer fails. */
export type IssuerMode = 'ok' | 'down' | 'huge' | 'slow' | 'redirect' | 'not-json';

/**
 * A platform's token issuer on loopback, as a Kubernetes API server or a CI
 * platform serves it: a discovery document (OpenID Connect) naming its
 * JWKS, and the JWKS; or, as `spiffe`, a SPIFFE bundle endpoint (JWT keys
 * with `use: "jwt-svid"` beside an X.509 authority, and a refresh hint).
 * Tokens are minted with jose.
 */
export class PlatformIssuer {
  keys: SigningKey[] = [];
  mode: IssuerMode = 'ok';
  /** Requests served, by path. */
  readonly hits = new Map<string, number>();
  readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly spiffe: boolean,
  ) {}

  static async start(options: { spiffe?: boolean } = {}): Promise<PlatformIssuer> {
    let issuer: PlatformIssuer | undefined;
    const server = createServer((req, res) => issuer?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    issuer = new PlatformIssuer(server, `http://127.0.0.1:${port}`, options.spiffe === true);
    server.on('connection', (s) => {
      issuer?.sockets.add(s);
      s.on('close', () => issuer?.sockets.delete(s));
    });
    issuer.keys = [await signingKey('key-1')];
    return issuer;
  }

  get jwksUri(): string {
    return `${this.url}/${this.spiffe ? 'bundle' : 'openid/v1/jwks'}`;
  }

  hitsOf(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  /** A token signed with the first key (or `key`), with the claims given (undefined leaves one out). */
  async mint(
    claims: JWTPayload,
    options: { key?: SigningKey; alg?: string; kid?: string | null } = {},
  ): Promise<string> {
    const key = options.key ?? (this.keys[0] as SigningKey);
    const kid = options.kid === null ? {} : { kid: options.kid ?? key.kid };
    const defined = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
    return new SignJWT(defined)
      .setProtectedHeader({ alg: options.alg ?? key.alg, typ: 'JWT', ...kid })
      .sign(key.privateKey);
  }

  private handle(req: IncomingMessage, res: ServerResponse): undefined {
    const path = (req.url ?? '/').split('?')[0] as string;
    this.hits.set(path, this.hitsOf(path) + 1);
    if (this.mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (this.mode === 'slow') return; // never answers
    if (this.mode === 'redirect') {
      res.writeHead(302, { location: `${this.url}/elsewhere` }).end();
      return;
    }
    if (path === '/.well-known/openid-configuration') {
      return this.json(res, { issuer: this.url, jwks_uri: this.jwksUri, response_types_supported: ['id_token'] });
    }
    if (path === '/openid/v1/jwks' || path === '/bundle') {
      if (this.mode === 'huge') return this.json(res, { keys: [], padding: 'x'.repeat(200_000) });
      if (this.mode === 'not-json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [');
        return;
      }
      if (!this.spiffe) return this.json(res, { keys: this.keys.map((k) => k.jwk) });
      return this.json(res, {
        keys: [
          // An X.509 authority: no JWT may be verified with it.
          {
            kty: 'EC',
            crv: 'P-256',
            use: 'x509-svid',
            x5c: ['MIIB'],
            x: (this.keys[0] as SigningKey).jwk.x,
            y: (this.keys[0] as SigningKey).jwk.y,
          },
          ...this.keys.map(({ jwk: { use: _use, alg: _alg, ...jwk } }) => ({ ...jwk, use: 'jwt-svid' })),
        ],
        spiffe_sequence: 1,
        spiffe_refresh_hint: 300,
      });
    }
    res.writeHead(404).end();
  }

  private json(res: ServerResponse, body: unknown): undefined {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    return undefined;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

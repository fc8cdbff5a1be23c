import { constants, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal RFC 9068 issuer for tests: discovery, a JWKS it can stop serving
 * or change, and tokens signed with node:crypto. Independent of the code
 * under test, so it can forge exactly the bad tokens a test needs.
 */
export interface TestKey {
  kid: string;
  alg: string;
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

export function generateTestKey(
  alg: 'RS256' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA',
  kid: string = randomUUID(),
): TestKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'ES384'
        ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
        : alg === 'EdDSA'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { kid, alg, privateKey: pair.privateKey, jwk };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs a JWS with the key; header fields can be overridden (or removed with undefined). */
export function signJwt(key: TestKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const h = { alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header };
  const input = `${b64(h)}.${b64(claims)}`;
  return `${input}.${signRaw(key, input).toString('base64url')}`;
}

export function signRaw(key: TestKey, input: string): Buffer {
  const data = Buffer.from(input);
  switch (key.alg) {
    case 'RS256':
      return sign('sha256', data, key.privateKey);
    case 'PS256':
      return sign('sha256', data, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case 'ES256':
      return sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'ES384':
      return sign('sha384', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    default:
      return sign(null, data, key.privateKey);
  }
}

export interface LocalIssuer {
  issuer: string;
  keys: TestKey[];
  /** Claims of a valid token for `audience`, at `nowSec`. */
  claims(overrides?: Record<string, unknown>, nowSec?: number): Record<string, unknown>;
  token(overrides?: Record<string, unknown>, header?: Record<string, unknown>, key?: TestKey): string;
  /** `up` serves the JWKS, `down` answers 503, `hang` never answers. */
  jwksState: 'up' | 'down' | 'hang';
  jwksFetches: number;
  metadataFetches: number;
  /** Extra or replaced metadata fields; set `oauthMetadata: false` to serve only openid-configuration. */
  metadata: Record<string, unknown>;
  oauthMetadata: boolean;
  close(): Promise<void>;
}

export async function startLocalIssuer(options: { audience?: string; keys?: TestKey[] } = {}): Promise<LocalIssuer> {
  const audience = options.audience ?? 'calendar';
  const hanging = new Set<import('node:http').ServerResponse>();
  let issuer = '';
  const state: LocalIssuer = {
    issuer: '',
    keys: options.keys ?? [generateTestKey('RS256')],
    jwksState: 'up',
    jwksFetches: 0,
    metadataFetches: 0,
    metadata: {},
    oauthMetadata: true,
    claims(overrides = {}, nowSec = Math.floor(Date.now() / 1000)) {
      return {
        iss: issuer,
        sub: 'task-service',
        client_id: 'task-service',
        aud: audience,
        iat: nowSec,
        nbf: nowSec,
        exp: nowSec + 3600,
        jti: randomUUID(),
        scope: 'event.view event.create',
        ...overrides,
      };
    },
    token(overrides, header, key) {
      const k = key ?? state.keys[0];
      if (!k) throw new Error('no key');
      return signJwt(k, state.claims(overrides), header);
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const metadata = () => ({ issuer, jwks_uri: `${issuer}/jwks`, ...state.metadata });
    if (req.url === '/.well-known/oauth-authorization-server') {
      state.metadataFetches++;
      return state.oauthMetadata ? json(200, metadata()) : json(404, {});
    }
    if (req.url === '/.well-known/openid-configuration') {
      state.metadataFetches++;
      return json(200, metadata());
    }
    if (req.url === '/jwks') {
      state.jwksFetches++;
      if (state.jwksState === 'down') return json(503, {});
      if (state.jwksState === 'hang') {
        hanging.add(res);
        return;
      }
      return json(200, { keys: state.keys.map((k) => k.jwk) });
    }
    json(404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.issuer = issuer;
  return state;
}

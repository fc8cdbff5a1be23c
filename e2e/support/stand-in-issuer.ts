import { execFileSync } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';

/**
 * A local stand-in for a platform that gives workloads signed identities,
 * over real HTTP on loopback, for tests and examples of trusted issuers:
 *
 * - `kubernetes`: the API server's service-account issuer. It serves
 *   `/.well-known/openid-configuration` and `/openid/v1/jwks` as the API
 *   server does, mints tokens shaped like a projected service-account token
 *   (`sub` `system:serviceaccount:<ns>:<name>`, `aud` an array, `iat`,
 *   `nbf`, `exp`, `jti`, the `kubernetes.io` claim; RS256 by default), and
 *   writes them into a directory the way the kubelet does (`project`).
 * - `spiffe`: a SPIRE server's bundle endpoint for a trust domain: a JWKS
 *   with `spiffe_sequence` and `spiffe_refresh_hint` whose keys have
 *   `use: "jwt-svid"` (beside an X.509 authority, `use: "x509-svid"`), and JWT-SVIDs (`sub` `spiffe://<trust domain>/<path>`,
 *   `aud`, `exp`, `iat`; `iss` only when `jwtIssuer` is set, as SPIRE's
 *   `jwt_issuer`; ES256 by default, SPIRE's `ec-p256`).
 *
 * Keys rotate (`rotateKeys`: the old key stays published until retired),
 * and the endpoint can misbehave on demand (`fault`) so tests can check
 * what a relying party does when the issuer is down, slow or huge. For
 * tests of bad tokens, `sign` signs any claims, with a published key or one
 * from `standInKey` that nobody publishes (a forged signature).
 */

export type StandInKind = 'kubernetes' | 'spiffe';
export type StandInAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
/**
 * `down`: 503; `reset`: the connection is dropped without an answer; `slow`: answers after `slowMs`;
 * `huge`: a 5 MiB JWKS; `garbage`: not JSON; `truncated`: JSON cut short; `redirect`: 302 elsewhere.
 */
export type StandInFault = 'down' | 'reset' | 'slow' | 'huge' | 'garbage' | 'truncated' | 'redirect';
/** Which endpoints a fault hits: all (default), or only the keys (discovery answers, so fetching the keys fails). */
export type StandInFaultScope = 'all' | 'keys';

export interface StandInIssuerOptions {
  kind?: StandInKind;
  /** Default RS256 for `kubernetes` (what the API server signs with), ES256 for `spiffe`. */
  alg?: StandInAlg;
  /** `kubernetes`: a path the issuer URL ends with, as EKS's `/id/<cluster>`. Default none. */
  issuerPath?: string;
  /** `spiffe`: default `example.org`. */
  trustDomain?: string;
  /** `spiffe`: the `iss` JWT-SVIDs carry (SPIRE's `jwt_issuer`). Default: none, as SPIRE without it. */
  jwtIssuer?: string;
  /** `spiffe`: `spiffe_refresh_hint` in seconds. Default 300. */
  refreshHint?: number;
  /** Epoch ms for `iat`/`nbf`/`exp`. Default `Date.now`. */
  now?: () => number;
  /** How long a `slow` answer waits. Default 30 s. */
  slowMs?: number;
  /**
   * `spiffe`: also list an X.509 authority (`use: "x509-svid"`, with `x5c`)
   * in the bundle, as SPIRE's does; a relying party must not take it for a
   * JWT key. Default true (made with openssl).
   */
  x509Authority?: boolean;
}

export interface ServiceAccountTokenOptions {
  namespace: string;
  serviceAccount: string;
  /** The projected volume's `audience`: becomes a one-element `aud` array, as the API server writes it. */
  audience: string | string[];
  /** Default 3600 (Kubernetes' default for a projected token; at least 600 in a real cluster). */
  expirationSeconds?: number;
  /** Default a made-up pod of the service account. */
  pod?: string;
  /** Epoch seconds; default now. For expired or not-yet-valid tokens. */
  issuedAt?: number;
  /** Claims added or overridden (e.g. a wrong `iss`), for tests. */
  claims?: JWTPayload;
}

export interface JwtSvidOptions {
  /** The SPIFFE ID's path, e.g. `/ns/payments/sa/pdf-caller`. */
  path: string;
  audience: string | string[];
  /** Default 300 (SPIRE's default JWT-SVID TTL). */
  lifetimeSeconds?: number;
  issuedAt?: number;
  claims?: JWTPayload;
}

export interface Projection {
  /** The file a workload reads, e.g. `<dir>/tessera` (a symlink into `..data`, as the kubelet makes it). */
  path: string;
  /** Writes a freshly minted token now; returns it. */
  renew(): Promise<string>;
  /** Stops renewing (the files stay until their directory is removed). */
  stop(): void;
}

export interface StandInIssuer {
  readonly kind: StandInKind;
  /** Base URL of the loopback server, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** `kubernetes`: the issuer (`iss`, discovery at `<issuer>/.well-known/openid-configuration`). `spiffe`: `jwtIssuer`, if any. */
  readonly issuer: string | undefined;
  /** `kubernetes`: `<issuer>/openid/v1/jwks`. `spiffe`: the bundle endpoint, `<url>/bundle`. */
  readonly jwksUri: string;
  /** `spiffe`: the trust domain. */
  readonly trustDomain: string;
  /** The `kid` new tokens are signed with. */
  readonly currentKid: string;
  /** Requests served so far, per endpoint: a relying party's caching shows here. */
  readonly requests: { discovery: number; jwks: number };
  /** Set to make the discovery and key endpoints misbehave; `undefined` to heal. */
  fault: StandInFault | undefined;
  /** Which endpoints `fault` hits. Default `all`. */
  faultScope: StandInFaultScope;
  serviceAccountToken(options: ServiceAccountTokenOptions): Promise<string>;
  jwtSvid(options: JwtSvidOptions): Promise<string>;
  /**
   * Signs any claims (an `undefined` one is left out), for tests of bad tokens: with the current key,
   * the published key `kid`, or `key` (one of `standInKey`'s, published or not; the header's `kid`
   * is then `kid` if given, so a forged signature can name a published key).
   */
  sign(claims: JWTPayload, header?: { kid?: string; typ?: string; key?: StandInKey }): Promise<string>;
  /** A new signing key; the old one stays published (tokens it signed stay valid) unless `retireOld`. Returns the new `kid`. */
  rotateKeys(options?: { retireOld?: boolean }): Promise<string>;
  /** Stops publishing a key: tokens it signed no longer verify once a relying party refetches. */
  retireKey(kid: string): void;
  /**
   * Writes a token into `dir` as the kubelet writes a projected volume
   * (`<dir>/..<timestamp>/<file>`, swapped in atomically through the
   * `..data` symlink), and writes a new one once `refreshRatio` of its
   * lifetime has passed (the kubelet renews at 80 %).
   */
  project(options: {
    dir: string;
    file?: string;
    mint: () => Promise<string>;
    lifetimeSeconds: number;
    refreshRatio?: number;
  }): Promise<Projection>;
  close(): Promise<void>;
}

/** A signing key: its private half signs, `publicJwk` (with `kid`) is what an issuer would publish. */
export interface StandInKey {
  kid: string;
  alg: StandInAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function startStandInIssuer(options: StandInIssuerOptions = {}): Promise<StandInIssuer> {
  const kind = options.kind ?? 'kubernetes';
  const alg = options.alg ?? (kind === 'kubernetes' ? 'RS256' : 'ES256');
  const now = options.now ?? Date.now;
  const trustDomain = options.trustDomain ?? 'example.org';
  const refreshHint = options.refreshHint ?? 300;
  const slowMs = options.slowMs ?? 30_000;
  const issuerPath = (options.issuerPath ?? '').replace(/\/$/, '');
  if (issuerPath && !issuerPath.startsWith('/')) throw new Error('issuerPath must start with /');

  const keys: StandInKey[] = [await newKey(alg, kind)];
  const authority = kind === 'spiffe' && (options.x509Authority ?? true) ? x509Authority(trustDomain) : undefined;
  let sequence = 1;
  const requests = { discovery: 0, jwks: 0 };
  const projections = new Set<Projection>();
  const pendingSlow = new Set<NodeJS.Timeout>();

  let url = '';
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const discoveryPath = `${issuerPath}/.well-known/openid-configuration`;
    const jwksPath = kind === 'kubernetes' ? `${issuerPath}/openid/v1/jwks` : '/bundle';
    if (request.method !== 'GET') return send(response, 405, { error: 'method not allowed' });
    if (kind === 'kubernetes' && path === discoveryPath) {
      requests.discovery++;
      return answer(response, 'discovery', () => ({
        status: 200,
        type: 'application/json',
        body: {
          issuer: `${url}${issuerPath}`,
          jwks_uri: `${url}${jwksPath}`,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: [alg],
        },
      }));
    }
    if (path === jwksPath) {
      requests.jwks++;
      return answer(response, 'keys', () => ({
        status: 200,
        type: kind === 'kubernetes' ? 'application/jwk-set+json' : 'application/json',
        body:
          kind === 'kubernetes'
            ? { keys: keys.map((k) => k.publicJwk) }
            : {
                keys: [...(authority ? [authority] : []), ...keys.map((k) => k.publicJwk)],
                spiffe_sequence: sequence,
                spiffe_refresh_hint: refreshHint,
              },
      }));
    }
    send(response, 404, { error: 'not found' });
  });

  function answer(
    response: ServerResponse,
    endpoint: 'discovery' | 'keys',
    normal: () => { status: number; type: string; body: unknown },
  ): void {
    const fault = issuer.faultScope === 'keys' && endpoint !== 'keys' ? undefined : issuer.fault;
    switch (fault) {
      case 'down':
        send(response, 503, { error: 'unavailable' });
        return;
      case 'reset':
        response.socket?.destroy();
        return;
      case 'garbage':
        response.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json</html>');
        return;
      case 'truncated':
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [');
        return;
      case 'redirect':
        response.writeHead(302, { location: 'http://127.0.0.1:9/elsewhere' }).end();
        return;
      case 'huge': {
        // A JWKS-looking document far bigger than any real one: a relying party must stop reading.
        const filler = 'A'.repeat(5 * 1024 * 1024);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(`{"keys":[],"padding":"${filler}"}`);
        return;
      }
      case 'slow': {
        const timer = setTimeout(() => {
          pendingSlow.delete(timer);
          const { status, type, body } = normal();
          if (!response.destroyed) response.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
        }, slowMs);
        pendingSlow.add(timer);
        return;
      }
      default: {
        const { status, type, body } = normal();
        response.writeHead(status, { 'content-type': type, 'cache-control': 'max-age=60' }).end(JSON.stringify(body));
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const current = () => keys[keys.length - 1] as StandInKey;
  const seconds = () => Math.floor(now() / 1000);

  async function sign(
    claims: JWTPayload,
    header: { kid?: string; typ?: string; key?: StandInKey } = {},
  ): Promise<string> {
    const key = header.key ?? (header.kid === undefined ? current() : keys.find((k) => k.kid === header.kid));
    if (!key) throw new Error(`no key ${header.kid}`);
    const protectedHeader: { alg: string; kid: string; typ?: string } = { alg: key.alg, kid: header.kid ?? key.kid };
    if (header.typ !== undefined) protectedHeader.typ = header.typ;
    const defined = Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
    return new SignJWT(defined).setProtectedHeader(protectedHeader).sign(key.privateKey);
  }

  const issuer: StandInIssuer = {
    kind,
    url,
    issuer: kind === 'kubernetes' ? `${url}${issuerPath}` : options.jwtIssuer,
    jwksUri: kind === 'kubernetes' ? `${url}${issuerPath}/openid/v1/jwks` : `${url}/bundle`,
    trustDomain,
    get currentKid() {
      return current().kid;
    },
    requests,
    fault: undefined,
    faultScope: 'all',

    serviceAccountToken(o) {
      if (kind !== 'kubernetes') throw new Error('serviceAccountToken needs a kubernetes stand-in');
      const iat = o.issuedAt ?? seconds();
      const exp = iat + (o.expirationSeconds ?? 3600);
      const pod = o.pod ?? `${o.serviceAccount}-7c9d8f6b5-x2k4q`;
      // The shape the API server gives a projected token (TokenRequest API, Kubernetes 1.30+).
      return sign(
        {
          aud: Array.isArray(o.audience) ? o.audience : [o.audience],
          exp,
          iat,
          iss: issuer.issuer,
          jti: randomUUID(),
          'kubernetes.io': {
            namespace: o.namespace,
            node: { name: 'node-1', uid: uuidFor(`node/node-1`) },
            pod: { name: pod, uid: uuidFor(`pod/${o.namespace}/${pod}`) },
            serviceaccount: { name: o.serviceAccount, uid: uuidFor(`sa/${o.namespace}/${o.serviceAccount}`) },
          },
          nbf: iat,
          sub: `system:serviceaccount:${o.namespace}:${o.serviceAccount}`,
          ...o.claims,
        },
        {},
      );
    },

    jwtSvid(o) {
      if (kind !== 'spiffe') throw new Error('jwtSvid needs a spiffe stand-in');
      if (!o.path.startsWith('/')) throw new Error('a SPIFFE ID path starts with /');
      const iat = o.issuedAt ?? seconds();
      const claims: JWTPayload = {
        sub: `spiffe://${trustDomain}${o.path}`,
        aud: Array.isArray(o.audience) ? o.audience : [o.audience],
        exp: iat + (o.lifetimeSeconds ?? 300),
        iat,
        ...o.claims,
      };
      if (options.jwtIssuer !== undefined && claims.iss === undefined) claims.iss = options.jwtIssuer;
      return sign(claims, { typ: 'JWT' });
    },

    sign,

    async rotateKeys(o = {}) {
      const key = await newKey(alg, kind);
      if (o.retireOld) keys.splice(0, keys.length);
      keys.push(key);
      sequence++;
      return key.kid;
    },

    retireKey(kid) {
      const index = keys.findIndex((k) => k.kid === kid);
      if (index === -1) return;
      if (keys.length === 1) throw new Error('cannot retire the only key');
      keys.splice(index, 1);
      sequence++;
    },

    async project(o) {
      const file = o.file ?? 'tessera';
      const ratio = o.refreshRatio ?? 0.8;
      await mkdir(o.dir, { recursive: true });
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      const projection: Projection = {
        path: join(o.dir, file),
        async renew() {
          const token = await o.mint();
          await writeProjected(o.dir, file, token);
          if (timer) clearTimeout(timer);
          if (!stopped) {
            timer = setTimeout(() => void projection.renew().catch(() => {}), o.lifetimeSeconds * ratio * 1000);
            timer.unref();
          }
          return token;
        },
        stop() {
          stopped = true;
          if (timer) clearTimeout(timer);
          projections.delete(projection);
        },
      };
      projections.add(projection);
      await projection.renew();
      return projection;
    },

    async close() {
      for (const projection of [...projections]) projection.stop();
      for (const timer of pendingSlow) clearTimeout(timer);
      pendingSlow.clear();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
  return issuer;
}

/**
 * A key no stand-in publishes (its `publicJwk` as the API server would publish it): for a
 * trusted issuer's inline keys, or to sign a token with a key the issuer never had.
 * `kid` defaults to the key's JWK thumbprint.
 */
export function standInKey(alg: StandInAlg = 'ES256', kid?: string): Promise<StandInKey> {
  return newKey(alg, 'kubernetes', kid);
}

async function newKey(alg: StandInAlg, kind: StandInKind, chosenKid?: string): Promise<StandInKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = chosenKid ?? (await calculateJwkThumbprint(jwk));
  // The API server publishes `use: "sig"`; a SPIFFE bundle marks JWT-SVID keys `use: "jwt-svid"` (and has no `alg`).
  const publicJwk: JWK = kind === 'kubernetes' ? { ...jwk, use: 'sig', kid, alg } : { ...jwk, use: 'jwt-svid', kid };
  return { kid, alg, privateKey: privateKey as CryptoKey, publicJwk };
}

/** A self-signed CA for the trust domain (URI SAN `spiffe://<trust domain>`), as a bundle's X.509 authority. */
function x509Authority(trustDomain: string): JWK {
  const dir = mkdtempSync(join(tmpdir(), 'stand-in-ca-'));
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
        `/O=SPIFFE/CN=${trustDomain}`,
        '-addext',
        `subjectAltName=URI:spiffe://${trustDomain}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
      ],
      { stdio: 'ignore' },
    );
    const certificate = new X509Certificate(readFileSync(certPath));
    const jwk = certificate.publicKey.export({ format: 'jwk' }) as JWK;
    return { ...jwk, use: 'x509-svid', x5c: [certificate.raw.toString('base64')] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function uuidFor(name: string): string {
  // Stable, made-up uids: the same object keeps its uid across tokens, as in a cluster.
  const hex = Buffer.from(name).toString('hex').padEnd(32, '0').slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

let writeCount = 0;

/**
 * Writes `content` into `dir/file` the way the kubelet's AtomicWriter
 * updates a projected volume: into a new timestamped directory, then an
 * atomic rename of the `..data` symlink to it; `dir/file` is a symlink to
 * `..data/file`. A reader never sees a half-written token, and `stat` on
 * the path (which follows the links) shows a new inode after each swap.
 */
export async function writeProjected(dir: string, file: string, content: string): Promise<void> {
  const version = `..${new Date().toISOString().replace(/[-:.TZ]/g, '_')}${++writeCount}`;
  await mkdir(join(dir, version), { recursive: true });
  await writeFile(join(dir, version, file), content, { mode: 0o644 });
  let previous: string | undefined;
  try {
    previous = await readlink(join(dir, '..data'));
  } catch {
    previous = undefined;
  }
  await rm(join(dir, '..data_tmp'), { force: true });
  await symlink(version, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  try {
    await symlink(join('..data', file), join(dir, file));
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  }
  if (previous !== undefined && previous !== version) await rm(join(dir, previous), { recursive: true, force: true });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

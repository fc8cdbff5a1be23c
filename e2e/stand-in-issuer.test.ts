import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { startStandInIssuer } from './support/stand-in-issuer.js';

/**
 * The stand-in platform issuers the trusted-issuer tests and examples rely
 * on: what they serve must be what a real API server or SPIRE server
 * serves, and their tokens must verify against it.
 */

async function getJson(url: string): Promise<{ status: number; type: string | null; body: Record<string, unknown> }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

describe('stand-in Kubernetes service-account issuer', async () => {
  const cluster = await startStandInIssuer({ kind: 'kubernetes', issuerPath: '/id/EXAMPLE0123' });
  const dir = await mkdtemp(join(tmpdir(), 'stand-in-'));
  after(async () => {
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves discovery and JWKS as the API server does, and its tokens verify against them', async () => {
    assert.equal(cluster.issuer, `${cluster.url}/id/EXAMPLE0123`);
    const discovery = await getJson(`${cluster.issuer}/.well-known/openid-configuration`);
    assert.equal(discovery.body.issuer, cluster.issuer);
    assert.equal(discovery.body.jwks_uri, `${cluster.issuer}/openid/v1/jwks`);
    assert.deepEqual(discovery.body.id_token_signing_alg_values_supported, ['RS256']);
    const jwks = await getJson(String(discovery.body.jwks_uri));
    assert.equal(jwks.type, 'application/jwk-set+json');
    const [key] = (jwks.body as unknown as JSONWebKeySet).keys;
    assert.equal(key?.use, 'sig');
    assert.equal(key?.alg, 'RS256');
    assert.equal(key?.kid, cluster.currentKid);

    const token = await cluster.serviceAccountToken({
      namespace: 'payments',
      serviceAccount: 'pdf-caller',
      audience: 'https://auth.example.com',
      expirationSeconds: 600,
    });
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createLocalJWKSet(jwks.body as unknown as JSONWebKeySet),
      { issuer: cluster.issuer, audience: 'https://auth.example.com' },
    );
    assert.deepEqual(protectedHeader, { alg: 'RS256', kid: cluster.currentKid });
    assert.equal(payload.sub, 'system:serviceaccount:payments:pdf-caller');
    assert.deepEqual(payload.aud, ['https://auth.example.com']);
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 600);
    assert.equal(payload.nbf, payload.iat);
    assert.equal(typeof payload.jti, 'string');
    const k8s = payload['kubernetes.io'] as Record<string, { name: string; uid: string }> & { namespace: string };
    assert.equal(k8s.namespace, 'payments');
    assert.equal(k8s.serviceaccount?.name, 'pdf-caller');
    assert.match(k8s.pod?.name ?? '', /^pdf-caller-/);
    assert.equal(cluster.requests.discovery, 1);
    assert.equal(cluster.requests.jwks, 1);
  });

  it('rotates keys: both published until the old one is retired', async () => {
    const before = await cluster.serviceAccountToken({ namespace: 'a', serviceAccount: 'b', audience: 'x' });
    const oldKid = cluster.currentKid;
    const newKid = await cluster.rotateKeys();
    assert.notEqual(newKid, oldKid);
    const afterRotation = await cluster.serviceAccountToken({ namespace: 'a', serviceAccount: 'b', audience: 'x' });
    assert.equal(decodeProtectedHeader(afterRotation).kid, newKid);
    const both = (await getJson(cluster.jwksUri)).body as unknown as JSONWebKeySet;
    assert.deepEqual(both.keys.map((k) => k.kid).sort(), [oldKid, newKid].sort());
    await jwtVerify(before, createLocalJWKSet(both));
    await jwtVerify(afterRotation, createLocalJWKSet(both));

    cluster.retireKey(oldKid);
    const only = (await getJson(cluster.jwksUri)).body as unknown as JSONWebKeySet;
    assert.deepEqual(
      only.keys.map((k) => k.kid),
      [newKid],
    );
    await assert.rejects(jwtVerify(before, createLocalJWKSet(only)), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('projects tokens as the kubelet does: a symlink through ..data, swapped atomically on renewal', async () => {
    let n = 0;
    const projection = await cluster.project({
      dir,
      lifetimeSeconds: 600,
      mint: () => cluster.serviceAccountToken({ namespace: 'apps', serviceAccount: `sa-${++n}`, audience: 'x' }),
    });
    assert.equal(projection.path, join(dir, 'tessera'));
    assert.ok((await lstat(projection.path)).isSymbolicLink());
    assert.equal(await readlink(projection.path), join('..data', 'tessera'));
    const first = await stat(projection.path);
    const firstVersion = await readlink(join(dir, '..data'));

    const renewed = await projection.renew();
    assert.equal(await readFile(projection.path, 'utf8'), renewed);
    const second = await stat(projection.path);
    assert.notEqual(second.ino, first.ino, 'a new file: stat through the link sees the change');
    const entries = await readdir(dir);
    assert.ok(!entries.includes(firstVersion), 'the previous version is removed');
    assert.deepEqual(entries.filter((e) => !e.startsWith('..2')).sort(), ['..data', 'tessera']);
    projection.stop();
  });

  it('misbehaves on demand: down, huge, slow', async () => {
    cluster.fault = 'down';
    assert.equal((await fetch(cluster.jwksUri)).status, 503);
    cluster.fault = 'huge';
    assert.ok((await (await fetch(cluster.jwksUri)).arrayBuffer()).byteLength > 5 * 1024 * 1024);
    cluster.fault = 'slow';
    await assert.rejects(fetch(cluster.jwksUri, { signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' });
    cluster.fault = undefined;
    assert.equal((await fetch(cluster.jwksUri)).status, 200);
  });
});

describe('stand-in SPIFFE bundle endpoint', async () => {
  const spire = await startStandInIssuer({ kind: 'spiffe', trustDomain: 'prod.example', refreshHint: 120 });
  const withIssuer = await startStandInIssuer({ kind: 'spiffe', jwtIssuer: 'https://oidc.prod.example' });
  after(() => Promise.all([spire.close(), withIssuer.close()]));

  it('serves a SPIFFE bundle: jwt-svid keys, spiffe_sequence, spiffe_refresh_hint', async () => {
    const bundle = await getJson(spire.jwksUri);
    assert.equal(bundle.body.spiffe_refresh_hint, 120);
    assert.equal(bundle.body.spiffe_sequence, 1);
    const keys = bundle.body.keys as Record<string, unknown>[];
    assert.deepEqual(
      keys.map((k) => k.use),
      ['x509-svid', 'jwt-svid'],
    );
    const [authority, jwtKey] = keys;
    assert.equal(jwtKey?.alg, undefined, 'bundle keys carry no alg');
    const [der] = (authority?.x5c ?? []) as string[];
    const ca = new X509Certificate(Buffer.from(der ?? '', 'base64'));
    assert.equal(ca.subjectAltName, 'URI:spiffe://prod.example');
    assert.ok(ca.ca);
    await spire.rotateKeys();
    assert.equal((await getJson(spire.jwksUri)).body.spiffe_sequence, 2);
  });

  it('mints JWT-SVIDs: sub the SPIFFE ID, aud, exp, iat, typ JWT, iss only with jwt_issuer', async () => {
    const svid = await spire.jwtSvid({ path: '/ns/payments/sa/pdf-caller', audience: 'https://auth.example.com' });
    const bundle = (await getJson(spire.jwksUri)).body as { keys: Record<string, unknown>[] };
    const jwtKeys = bundle.keys.filter((k) => k.use === 'jwt-svid');
    const jwks = { keys: jwtKeys.map((k) => ({ ...k, use: 'sig' })) } as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(svid, createLocalJWKSet(jwks), {
      audience: 'https://auth.example.com',
    });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(protectedHeader.typ, 'JWT');
    assert.equal(payload.sub, 'spiffe://prod.example/ns/payments/sa/pdf-caller');
    assert.equal(payload.iss, undefined);
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 300);
    const issued = await withIssuer.jwtSvid({ path: '/w', audience: 'a' });
    const claims = JSON.parse(Buffer.from(issued.split('.')[1] ?? '', 'base64url').toString()) as { iss?: string };
    assert.equal(claims.iss, 'https://oidc.prod.example');
  });
});

describe('stand-in issuer as a process of its own', () => {
  it('prints where it serves, keeps a projected token, and stops on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stand-in-process-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'support', 'stand-in-issuer-main.ts'),
        '--audience',
        'https://auth.example.com',
        '--project',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const started = JSON.parse(line.toString()) as { issuer: string; jwks_uri: string; token_file: string };
      assert.equal(started.token_file, join(dir, 'tessera'));
      const discovery = await getJson(`${started.issuer}/.well-known/openid-configuration`);
      assert.equal(discovery.body.jwks_uri, started.jwks_uri);
      const jwks = (await getJson(started.jwks_uri)).body as unknown as JSONWebKeySet;
      const { payload } = await jwtVerify(await readFile(started.token_file, 'utf8'), createLocalJWKSet(jwks), {
        issuer: started.issuer,
        audience: 'https://auth.example.com',
      });
      assert.equal(payload.sub, 'system:serviceaccount:apps:task-service');
      assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 600);
    } finally {
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      await rm(dir, { recursive: true, force: true });
      assert.equal(code, 0);
    }
  });
});

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { migrations } from '../../packages/server/src/store/sqlite/migrations.js';
import { BODY, type Target, type TesseraTarget } from './targets.js';

/**
 * The trusted-issuer flows (issue 28): a workload sends its platform's token
 * (a Kubernetes-shaped service-account token, ES256, reused for every
 * request as a real workload reuses it) as the client assertion, with no
 * client_id. The issuer's keys are given inline, so the run measures the
 * token endpoint, not the issuer.
 */

export const PLATFORM_ISSUER = 'https://kubernetes.bench.example';
const subjectOf = (i: number) => `system:serviceaccount:ns-${i % 1000}:workload-${i}`;

export function federatedMetadata(i: number): Record<string, unknown> {
  return {
    token_endpoint_auth_method: 'federated_jwt',
    federated_identities: [{ issuer: PLATFORM_ISSUER, subject: subjectOf(i) }],
  };
}

const platform = (async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'ES256', use: 'sig' };
  return { privateKey, jwk };
})();

/**
 * A SQLite database holding `count` federated clients (and Tessera's
 * schema), written directly in one transaction: registering 100,000 clients
 * through the admin API would take minutes. The server indexes them at start.
 */
export function federatedDatabase(dir: string, count: number): string {
  const path = join(dir, `federated-${count}-${process.pid}.db`);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    for (const sql of migrations) db.exec(sql);
    db.pragma(`user_version = ${migrations.length}`);
    const insert = db.prepare(
      'INSERT INTO clients (client_id, metadata, scope, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    );
    const now = Date.now();
    for (let i = 0; i < count; i++) {
      const metadata = {
        scope: 'a b',
        audience: ['calendar'],
        grant_types: ['client_credentials'],
        access_token_ttl: 3600,
        access_token_format: 'jwt',
        claims: {},
        ...federatedMetadata(i),
      };
      insert.run(`workload-${i}`, JSON.stringify(metadata), 'a b', now, now);
    }
  })();
  db.close();
  return `sqlite:${path}`;
}

/** The bench issuer's public key, and a platform token for client `index` with `audience` as its aud: an hour, as a projected service-account token lives. */
export async function platformToken(index: number, audience: string): Promise<{ jwk: JWK; token: string }> {
  const { privateKey, jwk } = await platform;
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ sub: subjectOf(index), aud: audience })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench-1', typ: 'JWT' })
    .setIssuer(PLATFORM_ISSUER)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
  return { jwk, token };
}

/** Trusts the bench issuer and makes the requests carry a token for client `index`, with no client_id. */
export async function preparePlatformToken(target: Target, index: number): Promise<Target> {
  const t = target as TesseraTarget;
  const { jwk, token } = await platformToken(index, 'tessera-bench');
  const r = await fetch(`${t.baseUrl}/admin/trusted-issuers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ issuer: PLATFORM_ISSUER, jwks: { keys: [jwk] }, audience: 'tessera-bench' }),
  });
  if (r.status !== 201) throw new Error(`trusting the bench issuer failed: ${r.status} ${await r.text()}`);
  const body = `${BODY}&client_assertion_type=${encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')}&client_assertion=${token}`;
  const check = await fetch(t.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  if (check.status !== 200) throw new Error(`the platform token was refused: ${check.status} ${await check.text()}`);
  return { ...t, creds: { body } };
}

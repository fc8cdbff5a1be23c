import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { freshPostgres, requireRedis } from './support/backing-services.js';
import { type ComposeFile, environment, interpolate, interpolateAll, parseCompose } from './support/compose.js';
import { envPairs, parseDockerfile } from './support/dockerfile.js';
import { basicAuth, startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * compose.yaml: its topology checked (PostgreSQL, Redis, two Tessera nodes
 * built from the Dockerfile, started only once their backing services are
 * healthy, no secret written in the file), then the same topology run as
 * processes: the two nodes as the image runs them, with the image's ENV and
 * their service's environment, the service names `postgres` and `redis`
 * resolved to this machine's PostgreSQL (a fresh schema of its test database)
 * and Redis. What one node does, the other honours.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TEXT = readFileSync(join(ROOT, 'compose.yaml'), 'utf8');
const raw = parseCompose(TEXT);
const NODES = ['tessera-1', 'tessera-2'] as const;
// What `docker compose up` is given through the environment or .env.
const VARS = {
  POSTGRES_PASSWORD: randomBytes(16).toString('hex'),
  TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  TESSERA_ADMIN_KEY: `compose-admin-${randomBytes(12).toString('hex')}`,
};
const SECRETS = Object.keys(VARS);
const image = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).stages.at(-1);
const imageEnv: Record<string, string> = Object.assign(
  {},
  ...(image?.instructions ?? []).filter((i) => i.keyword === 'ENV').map((i) => envPairs(i.args)),
);

describe('compose.yaml', () => {
  it('interpolates as Compose does', () => {
    // Template literals with escaped placeholders: Compose's syntax, written as it is.
    assert.equal(interpolate(`a\${X}b$X$$c`, { X: '1' }), 'a1b1$c');
    assert.equal(interpolate(`\${X:-d} \${X-d} \${Y-d}`, { X: '', Y: '' }), 'd  ');
    assert.throws(() => interpolate(`\${X:?set X}`, { X: '' }), /X is missing a value: set X/);
    assert.equal(interpolate(`\${X?set X}`, { X: '' }), '');
  });

  it('has PostgreSQL and Redis with health checks, and two Tessera nodes built here that wait for them', () => {
    assert.deepEqual(Object.keys(raw.services).sort(), ['postgres', 'redis', ...NODES].sort());
    const { postgres, redis } = raw.services;
    assert.match(String(postgres?.image), /^postgres:\d+/);
    assert.match(String(redis?.image), /^redis:\d+/);
    assert.match(JSON.stringify(postgres?.healthcheck?.test), /pg_isready/);
    assert.match(JSON.stringify(redis?.healthcheck?.test), /redis-cli.*ping/);
    for (const name of NODES) {
      const node = raw.services[name];
      const build = typeof node?.build === 'string' ? node.build : node?.build?.context;
      assert.equal(build, '.', `${name} is built from the repository's Dockerfile`);
      assert.deepEqual(node?.depends_on, {
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    }
  });

  it('publishes node 1 on 8081 and node 2 on 8082, to the port the image listens on', () => {
    assert.deepEqual(raw.services['tessera-1']?.ports, [`8081:${imageEnv.TESSERA_PORT}`]);
    assert.deepEqual(raw.services['tessera-2']?.ports, [`8082:${imageEnv.TESSERA_PORT}`]);
  });

  it('writes no secret: each comes from a required variable, and nothing starts without it', () => {
    const services = Object.values(raw.services);
    for (const [key, value] of services.flatMap((s) => Object.entries(environment(s))))
      if (/KEY|SECRET|PASSWORD|TOKEN/i.test(key))
        assert.match(value, /^\$\{[A-Z_]+:\?[^}]+\}$/, `${key} is written into compose.yaml`);
    for (const name of NODES) {
      // The password inside the database URL, too (read before interpolation, so not a valid URL yet).
      const password = /^postgres(?:ql)?:\/\/[^:@/]+:(.*)@[^@]+$/.exec(
        environment(raw.services[name] ?? {}).TESSERA_DATABASE_URL ?? '',
      )?.[1];
      assert.match(password ?? '', /^\$\{POSTGRES_PASSWORD:\?[^}]+\}$/);
    }
    for (const missing of SECRETS)
      assert.throws(
        () => interpolateAll(raw, { ...VARS, [missing]: undefined }),
        new RegExp(`${missing} is missing a value`),
      );
  });

  it('gives both nodes the same database, Redis, keys and issuer', () => {
    const resolved = interpolateAll(raw, VARS);
    const [one, two] = NODES.map((n) => environment(resolved.services[n] ?? {}));
    assert.deepEqual(one, two);
    for (const name of [
      'TESSERA_DATABASE_URL',
      'TESSERA_REDIS_URL',
      'TESSERA_ENCRYPTION_KEY',
      'TESSERA_ADMIN_KEY',
      'TESSERA_ISSUER',
    ])
      assert.ok(one?.[name], `${name} is set`);
    assert.equal(one?.TESSERA_ENCRYPTION_KEY, VARS.TESSERA_ENCRYPTION_KEY);
    assert.equal(new URL(one?.TESSERA_DATABASE_URL ?? '').hostname, 'postgres');
    assert.equal(new URL(one?.TESSERA_REDIS_URL ?? '').hostname, 'redis');
  });

  describe('run as processes', () => {
    const nodes: TesseraProcess[] = [];
    let db: Awaited<ReturnType<typeof freshPostgres>>;
    let issuer: string;

    before(async () => {
      db = await freshPostgres();
      const redisUrl = await requireRedis();
      const resolved: ComposeFile = interpolateAll(raw, VARS);
      for (const name of NODES) {
        const env = environment(resolved.services[name] ?? {});
        issuer = env.TESSERA_ISSUER as string;
        nodes.push(
          await startTessera({
            // The image's ENV, less what `docker run` and the network decide: the port and address.
            NODE_ENV: imageEnv.NODE_ENV as string,
            ...env,
            TESSERA_DATABASE_URL: localPostgres(env.TESSERA_DATABASE_URL as string, db.url),
            TESSERA_REDIS_URL: localRedis(env.TESSERA_REDIS_URL as string, redisUrl),
          }),
        );
      }
    });
    after(async () => {
      for (const node of nodes) await node.stop();
      await db?.drop();
    });

    const post = async (node: TesseraProcess, path: string, body: string, authorization: string) => {
      const r = await fetch(node.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
        body,
      });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };

    it('both nodes are ready on PostgreSQL and Redis, and accept the shared admin key', async () => {
      for (const node of nodes) {
        const r = await fetch(`${node.url}/readyz`);
        assert.deepEqual([r.status, await r.json()], [200, { status: 'ready', store: 'postgres', redis: 'ok' }]);
        assert.equal(node.adminKey, VARS.TESSERA_ADMIN_KEY);
        assert.equal((await node.admin('GET', '/admin/clients')).status, 200);
      }
    });

    it("a client made at node 1 gets a token at node 2 that node 1's JWKS verifies; revocation crosses too", async () => {
      const [one, two] = nodes as [TesseraProcess, TesseraProcess];
      const client = await one.createClient({ scope: 'event.view', audience: ['calendar'] });
      const auth = basicAuth(client.client_id, client.client_secret);
      const issued = await post(two, '/oauth2/token', 'grant_type=client_credentials&audience=calendar', auth);
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const token = issued.body.access_token as string;

      const jwks = createRemoteJWKSet(new URL(`${one.url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(token, jwks, { issuer, audience: 'calendar', typ: 'at+jwt' });
      assert.equal(payload.client_id, client.client_id);
      assert.equal(payload.scope, 'event.view');

      assert.equal((await post(one, '/oauth2/introspect', `token=${token}`, auth)).body.active, true);
      assert.equal((await post(one, '/oauth2/revoke', `token=${token}`, auth)).status, 200);
      assert.deepEqual((await post(two, '/oauth2/introspect', `token=${token}`, auth)).body, { active: false });
    });

    it('an opaque token from node 1 revoked at node 2 is inactive at node 1', async () => {
      const [one, two] = nodes as [TesseraProcess, TesseraProcess];
      const client = await two.createClient({ scope: 'file.view', access_token_format: 'opaque' });
      const auth = basicAuth(client.client_id, client.client_secret);
      const token = (await post(one, '/oauth2/token', 'grant_type=client_credentials', auth)).body.access_token;
      assert.equal(typeof token, 'string');
      assert.equal((await post(two, '/oauth2/introspect', `token=${token}`, auth)).body.active, true);
      assert.equal((await post(two, '/oauth2/revoke', `token=${token}`, auth)).status, 200);
      assert.deepEqual((await post(one, '/oauth2/introspect', `token=${token}`, auth)).body, { active: false });
    });
  });
});

/**
 * The compose service `postgres` is this machine's PostgreSQL: host, port,
 * credentials and database of the local test server (a fresh schema), the
 * rest of the compose URL (its protocol, its query options) kept.
 */
function localPostgres(composeUrl: string, local: string): string {
  const url = new URL(composeUrl);
  assert.equal(url.hostname, 'postgres');
  assert.equal(url.port, '5432', "the postgres image's port");
  const target = new URL(local);
  for (const [k, v] of url.searchParams) if (!target.searchParams.has(k)) target.searchParams.set(k, v);
  return target.toString();
}

/** The compose service `redis` is this machine's Redis. */
function localRedis(composeUrl: string, local: string): string {
  const url = new URL(composeUrl);
  assert.equal(url.hostname, 'redis');
  const target = new URL(local);
  url.hostname = target.hostname;
  url.port = target.port;
  return url.toString();
}

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SecretHasher } from '../src/crypto/secret-hasher.js';
import { TEST_POSTGRES_URL, useTestSchemas } from '../src/store/postgres/test-database.test-suite.js';
import { basic, type Harness, startHarness, tokenWithSecretJwt } from './harness.js';

const schemas = useTestSchemas();

interface Client {
  client_id: string;
  client_secret: string;
}

/**
 * The documented rollout (docs/security.md) on two nodes sharing one
 * PostgreSQL database, restarted one at a time: after every single restart,
 * every node still serves every client and token. Includes the awkward
 * moments: a node of the first phase restarting while the other has
 * switched, and a signing key rotated by a switched node.
 */
describe('encryption key rollout on two PostgreSQL nodes', () => {
  const [A, B] = [randomBytes(32), randomBytes(32)].map((k) => k.toString('base64url')) as [string, string];
  let url: string;
  let schema: string;
  const nodes: (Harness | undefined)[] = [undefined, undefined];
  const clients = {} as Record<'basic' | 'jwt' | 'opaque', Client>;
  const tokens = {} as Record<'jwt' | 'opaque', string>;

  before(async () => {
    schema = await schemas.freshSchema();
    const u = new URL(TEST_POSTGRES_URL);
    u.searchParams.set('options', `-c search_path=${schema}`);
    url = u.toString();
  });
  after(async () => {
    for (const n of nodes) await n?.close();
  });

  /** Restarts node `i` with these keys, as a rolling restart does. */
  const restart = async (i: number, current: string, previous?: string) => {
    await nodes[i]?.close();
    nodes[i] = undefined;
    nodes[i] = await startHarness(
      {},
      {
        TESSERA_DATABASE_URL: url,
        TESSERA_ENCRYPTION_KEY: current,
        ...(previous ? { TESSERA_ENCRYPTION_KEY_PREVIOUS: previous } : {}),
      },
    );
    return nodes[i] as Harness;
  };
  const each = () => nodes.filter((n): n is Harness => n !== undefined);

  const tokenBasic = (h: Harness, c: Client) =>
    h.token({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, c.client_secret) });
  const introspect = (h: Harness, token: string) =>
    h.inject({
      method: 'POST',
      url: '/oauth2/introspect',
      headers: {
        authorization: basic(clients.opaque.client_id, clients.opaque.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: `token=${encodeURIComponent(token)}`,
    });

  /** Everything works on every node; twice, so a re-hash made by the first round is read back by the second. */
  const everythingWorks = async (step: string, oldOpaqueActive = true) => {
    for (let round = 0; round < 2; round++) {
      for (const [i, h] of each().entries()) {
        const where = `${step}, node ${i}, round ${round}`;
        assert.equal((await tokenBasic(h, clients.basic)).statusCode, 200, `basic: ${where}`);
        assert.equal((await tokenWithSecretJwt(h, clients.jwt)).statusCode, 200, `client_secret_jwt: ${where}`);
        assert.equal((await introspect(h, tokens.jwt)).json().active, true, `old JWT: ${where}`);
        // Issued under A: found until A is dropped (by then, in real life, it has expired).
        assert.equal((await introspect(h, tokens.opaque)).json().active, oldOpaqueActive, `old opaque: ${where}`);
        assert.equal((await h.admin('GET', '/admin/clients')).statusCode, 200, `admin: ${where}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };

  const rotationLog = (h: Harness) =>
    h.logs.map((l) => JSON.parse(l)).find((l) => String(l.msg).startsWith('encryption key rotation'));

  const storedHash = async (clientId: string) => {
    const { rows } = await schemas.query(`SELECT hash FROM ${schema}.client_secrets WHERE client_id = $1`, [clientId]);
    return (rows[0] as { hash: string }).hash;
  };

  it('A on both nodes', async () => {
    const h = await restart(0, A);
    await restart(1, A);
    const create = async (metadata: Record<string, unknown>) =>
      (await h.createClient({ scope: 'a', ...metadata })) as Client;
    clients.basic = await create({});
    clients.jwt = await create({ token_endpoint_auth_method: 'client_secret_jwt' });
    clients.opaque = await create({ access_token_format: 'opaque' });
    tokens.jwt = (await tokenBasic(h, clients.basic)).json().access_token;
    tokens.opaque = (await tokenBasic(h, clients.opaque)).json().access_token;
    await everythingWorks('A');
  });

  it('phase 1: each node in turn also accepts B', async () => {
    await restart(0, A, B);
    await everythingWorks('phase 1, node 0 restarted');
    await restart(1, A, B);
    await everythingWorks('phase 1 done');
  });

  it('phase 2: node 0 switches to B; node 1, still in phase 1, restarts and follows a key rotation', async () => {
    await restart(0, B, A);
    await everythingWorks('phase 2, node 0 switched');

    // A crash of the node not yet switched: it opens what node 0 re-sealed under B.
    // (It moves them back under A, its own current key: the last node to switch moves them forward again.)
    assert.equal(rotationLog(await restart(1, A, B)).resealed, 2);
    await everythingWorks('phase 2, node 1 restarted in phase 1');

    // A signing key made under B by node 0 reaches node 1 through the change feed.
    const rotated = await (nodes[0] as Harness).admin('POST', '/admin/keys/rotate');
    assert.equal(rotated.statusCode, 201);
    const started = Date.now();
    while ((nodes[1] as Harness).tessera.ctx.keys.current().kid !== rotated.json().kid) {
      assert.ok(Date.now() - started < 2000, 'node 1 did not load the key node 0 made under B');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await everythingWorks('phase 2, key rotated');

    assert.equal(
      rotationLog(await restart(1, B, A)).resealed,
      2,
      'the first key and the secret; the new key is under B',
    );
    await everythingWorks('phase 2 done');
  });

  it('phase 2 done: a fresh start reports nothing left under A; phase 3 drops it', async () => {
    const prefixB = new SecretHasher(Buffer.from(B, 'base64url'), 'client-secret').currentPrefix;
    const started = Date.now();
    for (const c of Object.values(clients)) {
      while (!(await storedHash(c.client_id)).startsWith(prefixB)) {
        assert.ok(Date.now() - started < 2000, `${c.client_id} was not re-hashed under B`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    const log = rotationLog(await restart(0, B, A));
    assert.match(log.msg, /nothing stored depends on the previous keys any more/);
    assert.equal(log.sealed_under_previous_keys, 0);
    assert.equal(log.client_secret_hashes_under_previous_keys, 0);

    // Each node from here on no longer finds the opaque token issued under A.
    await restart(0, B);
    await restart(1, B);
    await everythingWorks('phase 3 done', false);
    const fresh = (await tokenBasic(nodes[0] as Harness, clients.opaque)).json().access_token;
    assert.equal((await introspect(nodes[1] as Harness, fresh)).json().active, true);
    for (const n of each()) {
      assert.ok(!n.logs.some((l) => /does not hold/.test(l)), 'nothing is under a key the nodes lack');
    }
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sealerKeyId } from '../src/crypto/sealer.js';
import { SecretHasher } from '../src/crypto/secret-hasher.js';
import { basic, type Harness, startHarness, tokenWithSecretJwt } from './harness.js';

const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };

interface Client {
  client_id: string;
  client_secret: string;
}

/**
 * Rotating TESSERA_ENCRYPTION_KEY on a real database file, restart by
 * restart as an operator does it (docs/security.md): key A; then B with A
 * still accepted (sealed values re-sealed at start, hashes re-hashed on
 * use); then B alone, where what was migrated works and what was not fails
 * cleanly (401, inactive), never with a 500.
 */
describe('encryption key rotation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-encryption-key-'));
  const dbPath = join(dir, 'tessera.db');
  after(() => rmSync(dir, { recursive: true, force: true }));
  const [A, B, C] = [randomBytes(32), randomBytes(32), randomBytes(32)].map((k) => k.toString('base64url')) as [
    string,
    string,
    string,
  ];
  const keyId = (k: string) => sealerKeyId(Buffer.from(k, 'base64url'));
  const hashPrefix = (k: string) => new SecretHasher(Buffer.from(k, 'base64url'), 'client-secret').currentPrefix;

  const start = (current: string, previous?: string) =>
    startHarness(
      {},
      {
        TESSERA_DATABASE_URL: `sqlite:${dbPath}`,
        // Unset: the admin key is generated on the first start, so its stored hash rotates too.
        TESSERA_ADMIN_KEY: '',
        TESSERA_ENCRYPTION_KEY: current,
        ...(previous ? { TESSERA_ENCRYPTION_KEY_PREVIOUS: previous } : {}),
      },
    );

  let adminKey: string;
  const clients = {} as Record<'basic' | 'post' | 'idle' | 'jwt' | 'opaque', Client>;
  const tokens = {} as Record<'jwt' | 'opaqueKept' | 'opaqueRevoked' | 'opaqueLeft' | 'opaqueNew', string>;
  let jwks: string;
  let kid: string;

  const admin = (h: Harness, method: 'GET' | 'POST', url: string, body?: unknown) =>
    h.inject({
      method,
      url,
      headers: { authorization: `Bearer ${adminKey}` },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });

  const tokenBasic = (h: Harness, c: Client) =>
    h.token({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, c.client_secret) });
  const tokenPost = (h: Harness, c: Client) =>
    h.token({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret });
  const oauthPost = (h: Harness, path: string, token: string, as = clients.opaque) =>
    h.inject({
      method: 'POST',
      url: path,
      headers: {
        authorization: basic(as.client_id, as.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: `token=${encodeURIComponent(token)}`,
    });
  const active = async (h: Harness, token: string) => {
    const r = await oauthPost(h, '/oauth2/introspect', token);
    assert.equal(r.statusCode, 200, r.body);
    return r.json().active as boolean;
  };
  const rotationLog = (h: Harness) =>
    h.logs.map((l) => JSON.parse(l)).find((l) => String(l.msg).startsWith('encryption key rotation'));

  /** What the database file holds, read as an attacker (or an operator) would, beside the running server. */
  const stored = () => {
    const db = new Database(dbPath, { readonly: true });
    try {
      return {
        sealed: [
          ...db.prepare('SELECT private_key AS v FROM signing_keys').all(),
          ...db.prepare('SELECT sealed AS v FROM client_secrets WHERE sealed IS NOT NULL').all(),
        ].map((r) => (r as { v: string }).v),
        hashes: Object.fromEntries(
          (db.prepare('SELECT client_id, hash FROM client_secrets').all() as { client_id: string; hash: string }[]).map(
            (r) => [r.client_id, r.hash],
          ),
        ),
        adminKeyHash: (
          db.prepare("SELECT value FROM settings WHERE name = 'admin_key_hash'").get() as { value: string }
        ).value,
      };
    } finally {
      db.close();
    }
  };
  /** The re-hash is written after the answer: let it land. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it('key A: clients, tokens and a generated admin key', async () => {
    const h = await start(A);
    try {
      adminKey = String(h.tessera.generatedAdminKey);
      const create = async (metadata: Record<string, unknown>) => {
        const r = await admin(h, 'POST', '/admin/clients', { scope: 'a', ...metadata });
        assert.equal(r.statusCode, 201, r.body);
        return r.json() as Client;
      };
      clients.basic = await create({});
      clients.post = await create({ token_endpoint_auth_method: 'client_secret_post' });
      clients.idle = await create({});
      clients.jwt = await create({ token_endpoint_auth_method: 'client_secret_jwt' });
      clients.opaque = await create({ access_token_format: 'opaque' });

      tokens.jwt = (await tokenBasic(h, clients.basic)).json().access_token;
      for (const name of ['opaqueKept', 'opaqueRevoked', 'opaqueLeft'] as const) {
        tokens[name] = (await tokenBasic(h, clients.opaque)).json().access_token;
        assert.match(tokens[name], /^tessera_at_/);
      }
      jwks = (await h.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body;
      kid = h.tessera.ctx.keys.current().kid;
      assert.equal(rotationLog(h), undefined, 'nothing to report without previous keys');
    } finally {
      await h.close();
    }
    assert.ok(stored().sealed.every((v) => v.startsWith(`v1.${keyId(A)}.`)));
  });

  it('B with A accepted: re-seals at start, reports what still depends on A', async () => {
    const h = await start(B, A);
    try {
      const db = stored();
      assert.equal(db.sealed.length, 2, 'one signing key, one client_secret_jwt secret');
      assert.ok(
        db.sealed.every((v) => v.startsWith(`v1.${keyId(B)}.`)),
        'nothing is left sealed under A once started',
      );
      assert.ok(db.hashes[clients.jwt.client_id]?.startsWith(hashPrefix(B)), 'a sealed secret is re-hashed at start');
      assert.ok(db.hashes[clients.basic.client_id]?.startsWith(hashPrefix(A)), 'other hashes wait for their secret');

      const log = rotationLog(h);
      assert.equal(log.level, 30);
      assert.deepEqual(
        {
          encryption_key_id: log.encryption_key_id,
          previous_key_ids: log.previous_key_ids,
          resealed: log.resealed,
          resealed_by_other_nodes: log.resealed_by_other_nodes,
          sealed_under_previous_keys: log.sealed_under_previous_keys,
          client_secret_hashes_under_previous_keys: log.client_secret_hashes_under_previous_keys,
          admin_key_hash_under_previous_key: log.admin_key_hash_under_previous_key,
          longest_token_ttl_s: log.longest_token_ttl_s,
        },
        {
          encryption_key_id: keyId(B),
          previous_key_ids: [keyId(A)],
          resealed: 2,
          resealed_by_other_nodes: 0,
          sealed_under_previous_keys: 0,
          client_secret_hashes_under_previous_keys: 4,
          admin_key_hash_under_previous_key: true,
          longest_token_ttl_s: 3600,
        },
      );
    } finally {
      await h.close();
    }
  });

  it('B with A accepted: everything issued under A works, and hashes move to B on use', async () => {
    const h = await start(B, A);
    try {
      // The same signing key, re-sealed: the JWKS and the signer are unchanged.
      assert.equal((await h.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body, jwks);
      assert.equal(h.tessera.ctx.keys.current().kid, kid);
      assert.equal(await active(h, tokens.jwt), true);

      for (const [c, get] of [
        [clients.basic, tokenBasic],
        [clients.post, tokenPost],
        [clients.jwt, tokenWithSecretJwt],
      ] as const) {
        const r = await get(h, c);
        assert.equal(r.statusCode, 200, r.body);
      }
      assert.equal(await active(h, tokens.opaqueKept), true);
      assert.equal((await oauthPost(h, '/oauth2/revoke', tokens.opaqueRevoked)).statusCode, 200);
      assert.equal(await active(h, tokens.opaqueRevoked), false);
      tokens.opaqueNew = (await tokenBasic(h, clients.opaque)).json().access_token;
      assert.equal(await active(h, tokens.opaqueNew), true);
      assert.equal((await admin(h, 'GET', '/admin/clients')).statusCode, 200);

      await settle();
      const db = stored();
      for (const name of ['basic', 'post', 'jwt', 'opaque'] as const) {
        assert.ok(db.hashes[clients[name].client_id]?.startsWith(hashPrefix(B)), `${name} is re-hashed under B`);
      }
      assert.ok(db.hashes[clients.idle.client_id]?.startsWith(hashPrefix(A)), 'an unused secret stays under A');
      assert.ok(db.adminKeyHash.startsWith(hashPrefix(B)), 'the generated admin key is re-hashed under B');

      // Re-hashed secrets still authenticate, now against the new hash.
      assert.equal((await tokenBasic(h, clients.basic)).statusCode, 200);
      assert.equal((await admin(h, 'GET', '/admin/clients')).statusCode, 200);
    } finally {
      await h.close();
    }
  });

  it('B with A accepted, restarted: the log now shows only what was not used', async () => {
    const h = await start(B, A);
    try {
      const log = rotationLog(h);
      assert.equal(log.resealed, 0);
      assert.equal(log.sealed_under_previous_keys, 0);
      assert.equal(log.client_secret_hashes_under_previous_keys, 1);
      assert.equal(log.admin_key_hash_under_previous_key, false);
      assert.match(log.msg, /values still depend on the previous keys/);
    } finally {
      await h.close();
    }
  });

  it('B alone: what was migrated works; what was not fails cleanly', async () => {
    const h = await start(B);
    try {
      assert.equal((await h.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body, jwks);
      assert.equal(await active(h, tokens.jwt), true);
      assert.equal((await tokenBasic(h, clients.basic)).statusCode, 200);
      assert.equal((await tokenPost(h, clients.post)).statusCode, 200);
      assert.equal((await tokenWithSecretJwt(h, clients.jwt)).statusCode, 200);
      assert.equal((await admin(h, 'GET', '/admin/clients')).statusCode, 200);
      assert.equal(await active(h, tokens.opaqueNew), true);

      const idle = await tokenBasic(h, clients.idle);
      assert.equal(idle.statusCode, 401);
      assert.deepEqual(idle.json(), INVALID_CLIENT);
      // Issued under A and never migrated (a token cannot be): inactive, as if expired.
      assert.equal(await active(h, tokens.opaqueKept), false);
      assert.equal(await active(h, tokens.opaqueLeft), false);

      const warning = h.logs
        .map((l) => JSON.parse(l))
        .find((l) => /encryption key this server does not hold/.test(l.msg));
      assert.equal(warning.level, 40);
      assert.equal(warning.client_secret_hashes, 1);
      assert.equal(warning.sealed_values, 0);
      assert.equal(warning.admin_key_hash, false);
      assert.equal(rotationLog(h), undefined);
    } finally {
      await h.close();
    }
  });

  it('refuses to start with a key the database was not sealed with, naming key ids only', async () => {
    for (const [current, previous] of [[C], [C, A]] as [string, string?][]) {
      await assert.rejects(start(current, previous), (err: Error) => {
        assert.match(err.message, new RegExp(`sealed with another encryption key \\(${keyId(B)}\\)`));
        assert.ok(err.message.includes(`TESSERA_ENCRYPTION_KEY (${keyId(C)})`));
        for (const k of [A, B, C]) assert.ok(!err.message.includes(k));
        return true;
      });
    }
  });

  it('refuses the current key listed as a previous one', async () => {
    await assert.rejects(
      start(B, `${A},${B}`),
      /^Error: TESSERA_ENCRYPTION_KEY_PREVIOUS lists the current encryption key/,
    );
  });

  it('logs no key, secret or sealed value', async () => {
    const h = await start(A, B);
    try {
      // Back to A: everything is re-sealed again, and a request re-hashes under A.
      assert.equal((await tokenBasic(h, clients.basic)).statusCode, 200);
      await settle();
      const text = h.logs.join('\n');
      for (const s of [A, B, adminKey, ...Object.values(clients).map((c) => c.client_secret)]) {
        assert.ok(!text.includes(s), 'a key or secret is in the log');
      }
      assert.ok(!/v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+\./.test(text), 'a sealed value is in the log');
      assert.ok(!text.includes('hmac-sha256$'), 'a hash is in the log');
      assert.equal(rotationLog(h).resealed, 2);
    } finally {
      await h.close();
    }
  });
});

describe('encryption key rotation: nodes starting at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-encryption-key-nodes-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const [A, B] = [randomBytes(32), randomBytes(32)].map((k) => k.toString('base64url')) as [string, string];
  const env = (current: string, previous?: string) => ({
    TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
    TESSERA_ENCRYPTION_KEY: current,
    ...(previous ? { TESSERA_ENCRYPTION_KEY_PREVIOUS: previous } : {}),
  });

  it('re-seal each value once between them, and both serve', async () => {
    const first = await startHarness({}, env(A));
    for (let i = 0; i < 5; i++) {
      await first.createClient({ token_endpoint_auth_method: 'client_secret_jwt' });
    }
    await first.close();

    const nodes = await Promise.all([startHarness({}, env(B, A)), startHarness({}, env(B, A))]);
    try {
      const logs = nodes.map((n) => n.logs.map((l) => JSON.parse(l)).find((l) => l.resealed !== undefined));
      assert.equal(
        logs.reduce((sum, l) => sum + l.resealed, 0),
        6,
        'one signing key and five secrets, once each',
      );
      assert.ok(logs.every((l) => l.sealed_under_previous_keys === 0));
      for (const n of nodes) assert.equal((await n.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  });
});

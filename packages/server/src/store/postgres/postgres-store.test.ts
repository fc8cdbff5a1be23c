import * as assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { EXTENSION, MIGRATED_V1_TOKEN, opaqueToken, runStoreContract } from '../contract.test-suite.js';
import { migrations } from './migrations.js';
import { PostgresStore } from './postgres-store.js';
import { TEST_POSTGRES_URL, useTestSchemas } from './test-database.test-suite.js';

const url = TEST_POSTGRES_URL;
const { freshSchema, query } = useTestSchemas();

let contractSchema: Promise<string> | undefined;
const openContractStore = async () => {
  contractSchema ??= freshSchema();
  return PostgresStore.open(url, { schema: await contractSchema });
};
runStoreContract('postgres', openContractStore, { openPeer: openContractStore });

describe('PostgresStore', () => {
  it('is of kind postgres', async () => {
    const store = await PostgresStore.open(url, { schema: await freshSchema() });
    assert.equal(store.kind, 'postgres');
    await store.close();
  });

  it('ten nodes starting at once apply each migration exactly once', async () => {
    const schema = await freshSchema();
    const opened = await Promise.allSettled(Array.from({ length: 10 }, () => PostgresStore.open(url, { schema })));
    const stores = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    try {
      assert.deepEqual(
        opened.filter((r) => r.status === 'rejected'),
        [],
      );
      const { rows } = await query(
        `SELECT version, count(*)::int AS n FROM ${schema}.schema_migrations GROUP BY version ORDER BY version`,
      );
      assert.deepEqual(
        rows,
        migrations.map((_, i) => ({ version: i + 1, n: 1 })),
      );
      await Promise.all(stores.map((s) => s.ping()));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('migration 2 keeps the opaque tokens stored before it, under h:<hash>', async () => {
    const schema = await freshSchema();
    await query(`SET search_path TO ${schema}`);
    try {
      await query(migrations[0] as string);
      await query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      await query('INSERT INTO schema_migrations VALUES (1, 0)');
      await query(
        "INSERT INTO clients (client_id, metadata, access_token_ttl, created_at, updated_at) VALUES ('c', '{}', 60, 0, 0)",
      );
      await query("INSERT INTO opaque_tokens VALUES ('digest', 'c', 'j', 'a', '{x}', 10, 20)");
    } finally {
      await query('SET search_path TO DEFAULT');
    }
    const store = await PostgresStore.open(url, { schema });
    assert.deepEqual(await store.getOpaqueToken('h:digest'), MIGRATED_V1_TOKEN);
    await store.close();
  });

  it('migration 3 reads the opaque tokens stored before it without extension, and stores new ones with', async () => {
    const schema = await freshSchema();
    const old = opaqueToken('c');
    await query(`SET search_path TO ${schema}`);
    try {
      await query(migrations[0] as string);
      await query(migrations[1] as string);
      await query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      await query('INSERT INTO schema_migrations VALUES (1, 0), (2, 0)');
      await query('INSERT INTO opaque_tokens VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        old.id,
        old.hash,
        old.clientId,
        old.jti,
        old.scope,
        old.audience,
        old.iat,
        old.exp,
      ]);
    } finally {
      await query('SET search_path TO DEFAULT');
    }
    const store = await PostgresStore.open(url, { schema });
    try {
      assert.deepEqual(await store.getOpaqueToken(old.id), old);
      const fresh = opaqueToken('c', { extension: EXTENSION });
      await store.insertOpaqueToken(fresh);
      assert.deepEqual(await store.getOpaqueToken(fresh.id), fresh);
    } finally {
      await store.close();
    }
  });

  it('leaves migrations newer than this build alone', async () => {
    const schema = await freshSchema();
    await (await PostgresStore.open(url, { schema })).close();
    const future = migrations.length + 5;
    await query(`INSERT INTO ${schema}.schema_migrations (version, applied_at) VALUES ($1, 0)`, [future]);
    const store = await PostgresStore.open(url, { schema });
    await store.close();
    const { rows } = await query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
    assert.deepEqual(
      rows.map((r: { version: number }) => r.version),
      [...migrations.map((_, i) => i + 1), future],
    );
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await assert.rejects(PostgresStore.open(url, { schema: 'x; DROP TABLE y' }), /not a plain identifier/);
  });

  it('fails within the connection timeout when the server never answers', async () => {
    // Accepts TCP connections and then says nothing, as a hung database would.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const started = Date.now();
      await assert.rejects(PostgresStore.open(`postgres://postgres@127.0.0.1:${port}/test`), /timeout/i);
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 4500, `took ${elapsed} ms`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

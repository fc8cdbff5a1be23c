import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freshPostgres } from './support/backing-services.js';
import { basicAuth, startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * Activity counts and the audit log across real server processes sharing
 * one store: PostgreSQL nodes, and processes on one SQLite file (as the
 * workers of TESSERA_WORKERS share it). A process writes its counts once a
 * minute and when it stops: stopping one is how this test makes it write
 * without waiting for the minute.
 */

interface Bucket {
  issued: Record<string, number>;
  failures: Record<string, number>;
}

async function totals(node: TesseraProcess): Promise<Bucket> {
  const r = await node.admin('GET', '/admin/activity?range=day');
  assert.equal(r.status, 200);
  const sum: Bucket = { issued: {}, failures: {} };
  for (const b of (r.body as { buckets: Bucket[] }).buckets) {
    for (const kind of ['issued', 'failures'] as const) {
      for (const [k, n] of Object.entries(b[kind])) sum[kind][k] = (sum[kind][k] ?? 0) + n;
    }
  }
  return sum;
}

async function token(node: TesseraProcess, authorization: string): Promise<number> {
  const r = await fetch(`${node.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: 'grant_type=client_credentials',
  });
  await r.text();
  return r.status;
}

const stores: [string, () => Promise<{ url: string; drop(): Promise<void> }>][] = [
  ['PostgreSQL', freshPostgres],
  [
    'one SQLite file',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tessera-activity-'));
      return {
        url: `sqlite:${join(dir, 'tessera.db')}`,
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
];

for (const [name, open] of stores) {
  describe(`activity and audit across two server processes on ${name}`, () => {
    const started: TesseraProcess[] = [];
    let db: { url: string; drop(): Promise<void> } | undefined;
    after(async () => {
      for (const p of started) await p.stop();
      await db?.drop();
    });

    it('adds up what each process counted; each sees the other’s audit entries', async () => {
      db = await open();
      const env = {
        TESSERA_DATABASE_URL: db.url,
        TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
        TESSERA_ADMIN_KEY: `shared-admin-${randomBytes(8).toString('hex')}`,
      };
      const a = await startTessera(env);
      started.push(a);
      const b = await startTessera(env);
      started.push(b);

      const c = await a.createClient({ client_id: 'counted' });
      const auth = basicAuth(c.client_id, c.client_secret);
      for (let i = 0; i < 3; i++) assert.equal(await token(a, auth), 200);
      for (let i = 0; i < 2; i++) assert.equal(await token(b, auth), 200);
      assert.equal(await token(a, basicAuth('counted', 'wrong')), 401);
      assert.equal(await token(b, basicAuth('nobody', 'wrong')), 401);

      // B's audit log has A's change.
      const audit = await b.admin('GET', '/admin/audit?limit=1');
      assert.deepEqual([audit.body.items[0].action, audit.body.items[0].target], ['client.create', 'counted']);

      // A stops, writing its counts; B answers them with its own, not yet written.
      await a.stop();
      started.shift();
      assert.deepEqual(await totals(b), {
        issued: { counted: 5 },
        failures: { wrong_secret: 1, unknown_client: 1 },
      });
    });
  });
}

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { basicAuth, startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * kill -9 in the middle of a write load, on the embedded store: every admin
 * write and every revocation the server acknowledged before it died must
 * be there after a restart on the same files.
 */
describe('durability: kill -9 under load (SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-durability-'));
  const env = {
    TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
    TESSERA_ADMIN_KEY: `durable-${randomBytes(8).toString('hex')}`,
    TESSERA_ISSUER: 'http://tessera.durable.test',
    TESSERA_LOG_LEVEL: 'warn',
  };
  let t: TesseraProcess | undefined;
  after(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged client and revocation across three crashes', async (ctx) => {
    const ackedClients: string[] = [];
    const ackedRevocations: { token: string; client: { id: string; secret: string } }[] = [];
    let lost = 0;
    for (let round = 0; round < 3; round++) {
      t = await startTessera(env);
      const node = t;
      const worker = async (n: number) => {
        for (;;) {
          try {
            const created = await node.admin('POST', '/admin/clients', { client_name: `r${round}w${n}`, scope: 'a' });
            if (created.status !== 201) throw new Error(`create: ${created.status}`);
            ackedClients.push(created.body.client_id);
            const auth = basicAuth(created.body.client_id, created.body.client_secret);
            const form = { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' };
            const token = await fetch(`${node.url}/oauth2/token`, {
              method: 'POST',
              headers: form,
              body: 'grant_type=client_credentials',
            });
            const { access_token } = (await token.json()) as { access_token: string };
            const revoked = await fetch(`${node.url}/oauth2/revoke`, {
              method: 'POST',
              headers: form,
              body: `token=${access_token}`,
            });
            if (revoked.status === 200) {
              ackedRevocations.push({
                token: access_token,
                client: { id: created.body.client_id, secret: created.body.client_secret },
              });
            }
          } catch {
            return; // the server died: what was not acknowledged may be gone
          }
        }
      };
      const load = Promise.all([1, 2, 3, 4].map(worker));
      await new Promise((r) => setTimeout(r, 400 + Math.random() * 600));
      await t.kill();
      await load;
    }

    t = await startTessera(env);
    for (const id of ackedClients) {
      const r = await t.admin('GET', `/admin/clients/${id}`);
      if (r.status !== 200) lost++;
    }
    for (const { token, client } of ackedRevocations) {
      const r = await fetch(`${t.url}/oauth2/introspect`, {
        method: 'POST',
        headers: {
          authorization: basicAuth(client.id, client.secret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `token=${token}`,
      });
      if (((await r.json()) as { active: boolean }).active) lost++;
    }
    ctx.diagnostic(
      `acknowledged: ${ackedClients.length} clients, ${ackedRevocations.length} revocations; lost: ${lost}`,
    );
    assert.ok(ackedClients.length > 20 && ackedRevocations.length > 20, 'the load did real work');
    assert.equal(lost, 0);
  });
});

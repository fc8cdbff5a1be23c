import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { freshPostgres } from './support/backing-services.js';
import { basicAuth, startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * A rolling restart of two nodes under load, behind a load balancer that,
 * like a real one, sends requests only to nodes whose /readyz answers 200
 * (polled every 50 ms) and never retries. SIGTERM makes a node report
 * "draining" while it still serves, then it stops accepting and finishes
 * what it has: not one request may fail.
 */
describe('rolling restart of two nodes under load', () => {
  let db: Awaited<ReturnType<typeof freshPostgres>>;
  const env: Record<string, string> = {};
  let nodes: TesseraProcess[] = [];
  let client: { client_id: string; client_secret?: string };

  before(async () => {
    db = await freshPostgres();
    Object.assign(env, {
      TESSERA_DATABASE_URL: db.url,
      TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      TESSERA_ADMIN_KEY: `rolling-${randomBytes(8).toString('hex')}`,
      TESSERA_ISSUER: 'http://tessera.rolling.test',
      TESSERA_LOG_LEVEL: 'warn',
      // Long enough for the balancer (50 ms polls) to notice.
      TESSERA_SHUTDOWN_DRAIN_MS: '500',
    });
    nodes = [await startTessera(env), await startTessera(env)];
    client = (await nodes[0]?.createClient({ scope: 'a' })) as typeof client;
  });
  after(async () => {
    for (const n of nodes) await n.stop();
    await db?.drop();
  });

  it('serves every request while each node is restarted in turn', async () => {
    const ready = new Set<string>(nodes.map((n) => n.url));
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await Promise.all(
          nodes.map(async (n) => {
            try {
              const r = await fetch(`${n.url}/readyz`, { signal: AbortSignal.timeout(500) });
              if (r.status === 200) ready.add(n.url);
              else ready.delete(n.url);
            } catch {
              ready.delete(n.url);
            }
          }),
        );
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const auth = basicAuth(client.client_id, client.client_secret);
    let ok = 0;
    const failures: string[] = [];
    let loading = true;
    const worker = async () => {
      while (loading) {
        const targets = [...ready];
        if (targets.length === 0) {
          failures.push('no ready node');
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        const target = targets[Math.floor(Math.random() * targets.length)] as string;
        try {
          const r = await fetch(`${target}/oauth2/token`, {
            method: 'POST',
            headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
            body: 'grant_type=client_credentials',
            signal: AbortSignal.timeout(5000),
          });
          await r.arrayBuffer();
          if (r.status === 200) ok++;
          else failures.push(`${target}: ${r.status}`);
        } catch (err) {
          failures.push(`${target}: ${(err as Error).message}`);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, worker));

    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < nodes.length; i++) {
      const old = nodes[i] as TesseraProcess;
      await old.stop();
      const replacement = await startTessera(env);
      nodes[i] = replacement;
      // The balancer picks it up by itself once it reports ready.
      const started = Date.now();
      while (!ready.has(replacement.url)) {
        assert.ok(Date.now() - started < 5000, 'the new node never became ready');
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    loading = false;
    await load;
    polling = false;
    await poller;

    assert.deepEqual(failures.slice(0, 5), []);
    assert.ok(ok > 100, `only ${ok} requests were served`);
  });
});

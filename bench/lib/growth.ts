import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { SqliteStore } from '../../packages/server/src/store/sqlite/sqlite-store.js';
import { registerClient } from './targets.js';

/**
 * State for the growth cases: many registered clients (through the admin
 * API, concurrently, as an operator's tooling would) and a long denylist of
 * revoked JWTs (through the server's own SqliteStore).
 */

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** Registers `count` clients, `concurrency` at a time; writes their Authorization headers to `file`. */
export async function registerClients(
  target: { baseUrl: string; adminKey: string },
  count: number,
  file: string,
  timeLimitMs: number,
  concurrency = 32,
): Promise<{ seconds: number }> {
  const start = performance.now();
  const lines: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      if (performance.now() - start > timeLimitMs)
        throw new Error(`registering ${count} clients took over ${timeLimitMs} ms`);
      const i = next++;
      const c = await registerClient(target, 'jwt');
      lines[i] = basic(c.client_id, c.client_secret);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { seconds: (performance.now() - start) / 1000 };
}

/**
 * Puts `count` revoked JWTs on the denylist (one row per jti, until an hour
 * from now), with the server's own store code: what POST /oauth2/revoke of
 * that many tokens leaves behind, without issuing them first.
 */
export async function fillDenylist(sqlitePath: string, count: number): Promise<{ seconds: number }> {
  const start = performance.now();
  const store = new SqliteStore(sqlitePath);
  try {
    const until = Date.now() + 3_600_000;
    for (let i = 0; i < count; i++) await store.revokeJti(randomUUID(), until);
  } finally {
    await store.close();
  }
  return { seconds: (performance.now() - start) / 1000 };
}

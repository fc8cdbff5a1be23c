import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { TEST_POSTGRES_URL, useTestSchemas } from '../src/store/postgres/test-database.test-suite.js';
import { readEvents } from './event-stream-reader.js';
import { basic, decodeJwt, type Harness, ISSUER, startHarness } from './harness.js';

/**
 * The status list events stream (`status_list_events_endpoint`) over real
 * sockets: a revocation is announced within a second on the node that made
 * it and, through the change feeds, on every other node.
 */

type Client = { client_id: string; client_secret: string };
type Status = { idx: number; uri: string };

const statusOf = (jwt: string) => (decodeJwt(jwt).payload.status as { status_list: Status }).status_list;

async function listen(h: Harness): Promise<string> {
  return h.tessera.app.listen({ port: 0, host: '127.0.0.1' });
}

async function tokenFor(h: Harness, c: Client): Promise<string> {
  const r = await h.token({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, c.client_secret) });
  assert.equal(r.statusCode, 200, r.body);
  return r.json().access_token;
}

async function revoke(h: Harness, c: Client, token: string): Promise<void> {
  const r = await h.inject({
    method: 'POST',
    url: '/oauth2/revoke',
    headers: {
      authorization: basic(c.client_id, c.client_secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: `token=${token}`,
  });
  assert.equal(r.statusCode, 200);
}

async function bitOn(h: Harness, { idx, uri }: Status): Promise<number> {
  const r = await h.inject({ method: 'GET', url: uri.slice(ISSUER.length) });
  assert.equal(r.statusCode, 200, r.body);
  const lst = (decodeJwt(r.body).payload.status_list as { lst: string }).lst;
  const bytes = inflateSync(Buffer.from(lst, 'base64url'));
  return ((bytes[idx >> 3] as number) >> (idx & 7)) & 1;
}

describe('status list events (SQLite, one node)', () => {
  let h: Harness;
  let base: string;
  let c: Client;
  before(async () => {
    h = await startHarness({ statusEventsMaxSubscribers: 2 });
    base = await listen(h);
    c = await h.createClient({ scope: 'a', audience: ['x'] });
  });
  after(() => h.close());

  it('announces a revoked token’s list within a second, as text/event-stream', async (t) => {
    const events = await readEvents(`${base}/oauth2/status-lists/events`);
    try {
      assert.equal(events.status, 200);
      assert.match(String(events.headers['content-type']), /^text\/event-stream/);
      assert.equal(events.headers['x-content-type-options'], 'nosniff');
      const token = await tokenFor(h, c);
      const started = performance.now();
      await revoke(h, c, token);
      assert.equal(await events.next(1000), statusOf(token).uri);
      t.diagnostic(`announced after ${(performance.now() - started).toFixed(1)} ms (revocation call included)`);
      // Announced after the bit is set: a verifier that fetches now sees it.
      assert.equal(await bitOn(h, statusOf(token)), 1);
    } finally {
      events.close();
    }
  });

  it('announces the lists a client deletion changed', async () => {
    const doomed = await h.createClient({ scope: 'a', audience: ['x'] });
    const status = statusOf(await tokenFor(h, doomed));
    const events = await readEvents(`${base}/oauth2/status-lists/events`);
    try {
      await h.admin('DELETE', `/admin/clients/${doomed.client_id}`);
      assert.equal(await events.next(1000), status.uri);
    } finally {
      events.close();
    }
  });

  it('answers 503 past TESSERA_STATUS_EVENTS_MAX_SUBSCRIBERS, and takes a subscriber again once one left', async () => {
    const [one, two] = [
      await readEvents(`${base}/oauth2/status-lists/events`),
      await readEvents(`${base}/oauth2/status-lists/events`),
    ];
    const third = await readEvents(`${base}/oauth2/status-lists/events`);
    await third.ended;
    assert.equal(third.status, 503);
    assert.equal(JSON.parse(third.body()).error, 'temporarily_unavailable');
    one.close();
    two.close();
    const deadline = Date.now() + 2000;
    for (;;) {
      const again = await readEvents(`${base}/oauth2/status-lists/events`);
      again.close();
      if (again.status === 200) break;
      assert.ok(Date.now() < deadline, 'the closed streams were never let go');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('answers HEAD with the headers alone, holding no slot', async () => {
    const r = await fetch(`${base}/oauth2/status-lists/events`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.match(String(r.headers.get('content-type')), /^text\/event-stream/);
    assert.equal(h.tessera.ctx.statusLists?.events.size, 0);
  });

  it('ends every stream when the server closes', async () => {
    const other = await startHarness();
    const url = await listen(other);
    const events = await readEvents(`${url}/oauth2/status-lists/events`);
    assert.equal(events.status, 200);
    const closing = other.close();
    await Promise.race([
      events.ended,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the stream outlived the server')), 3000)),
    ]);
    await closing;
  });
});

const schemas = useTestSchemas();
const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

for (const withRedis of [false, true]) {
  describe(`status list events across two nodes (PostgreSQL${withRedis ? ' + Redis' : ', LISTEN/NOTIFY'})`, () => {
    const nodes: Harness[] = [];
    const c = { client_id: `c-${randomUUID()}`, client_secret: 'a-shared-secret-that-is-long-enough-0123' };
    before(async () => {
      const url = new URL(TEST_POSTGRES_URL);
      url.searchParams.set('options', `-c search_path=${await schemas.freshSchema()}`);
      const env = {
        TESSERA_DATABASE_URL: url.toString(),
        TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
        ...(withRedis ? { TESSERA_REDIS_URL: REDIS_URL } : {}),
      };
      for (let i = 0; i < 2; i++) nodes.push(await startHarness({}, env));
      await (nodes[0] as Harness).createClient({ ...c, scope: 'a', audience: ['x'] });
    });
    after(async () => {
      for (const h of nodes) await h.close();
    });

    it('a revocation on A reaches B’s subscribers within a second, and B serves the new list', async (t) => {
      const [a, b] = nodes as [Harness, Harness];
      const events = await readEvents(`${await listen(b)}/oauth2/status-lists/events`);
      try {
        // The feed's listener connects in the background: wait until a change on A reaches B at all.
        const token = await tokenFor(a, c);
        const status = statusOf(token);
        assert.equal(await bitOn(b, status), 0, 'B reads A’s list from the store');
        await waitForFeed(a, b, c, events);
        const started = performance.now();
        await revoke(a, c, token);
        assert.equal(await events.next(1000), status.uri);
        t.diagnostic(`reached B's subscriber after ${(performance.now() - started).toFixed(1)} ms`);
        // B had the list cached: the change it heard made it read the list again.
        assert.equal(await bitOn(b, status), 1);
      } finally {
        events.close();
      }
    });
  });
}

/** Revokes throwaway tokens on A until B's stream hears one: the feed's subscription is then in place. */
async function waitForFeed(a: Harness, _b: Harness, c: Client, events: Awaited<ReturnType<typeof readEvents>>) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const token = await tokenFor(a, c);
    await revoke(a, c, token);
    try {
      if ((await events.next(300)) === statusOf(token).uri) return;
    } catch {
      assert.ok(Date.now() < deadline, 'B never heard of a change made on A');
    }
  }
}

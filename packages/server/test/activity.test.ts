import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TEST_POSTGRES_URL, useTestSchemas } from '../src/store/postgres/test-database.test-suite.js';
import { basic, type Harness, startHarness } from './harness.js';

/**
 * GET /admin/activity: tokens issued per client and failed client
 * authentications per reason, counted by each process in memory, written
 * once a minute, and added up in the store across processes.
 */

interface Bucket {
  start: string;
  issued: Record<string, number>;
  failures: Record<string, number>;
}

async function activity(
  h: Harness,
  range?: string,
): Promise<{ range: string; bucket_seconds: number; buckets: Bucket[] }> {
  const r = await h.admin('GET', `/admin/activity${range ? `?range=${range}` : ''}`);
  assert.equal(r.statusCode, 200, r.body);
  assert.equal(r.headers['cache-control'], 'no-store');
  return r.json();
}

/** A count map with a client named `__proto__`: a literal `{ __proto__: n }` would set the prototype instead. */
function counts(entries: [string, number][]): Record<string, number> {
  return Object.fromEntries(entries);
}

/** The buckets that hold anything, by start. */
function busy(buckets: Bucket[]): Record<string, Omit<Bucket, 'start'>> {
  const out: Record<string, Omit<Bucket, 'start'>> = {};
  for (const { start, issued, failures } of buckets) {
    if (Object.keys(issued).length || Object.keys(failures).length) out[start] = { issued, failures };
  }
  return out;
}

async function issue(h: Harness, c: { client_id: string; client_secret: string }, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(c.client_id, c.client_secret) },
    );
    assert.equal(r.statusCode, 200, r.body);
  }
}

async function fail(h: Harness, authorization?: string): Promise<void> {
  const r = await h.token({ grant_type: 'client_credentials' }, authorization ? { authorization } : {});
  assert.equal(r.statusCode, 401, r.body);
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('activity', () => {
  let h: Harness;
  let a: { client_id: string; client_secret: string };
  let b: { client_id: string; client_secret: string };
  before(async () => {
    h = await startHarness();
    a = await h.createClient({ client_id: 'activity-a' });
    b = await h.createClient({ client_id: '__proto__' });
  });
  after(() => h.close());

  it('counts tokens per client and failures per reason in the running minute, before anything is written', async () => {
    await issue(h, a, 3);
    await issue(h, b, 2);
    await fail(h, basic(a.client_id, 'wrong-secret'));
    await fail(h, basic(a.client_id, 'wrong-secret'));
    await fail(h, basic('nobody', 'x'));
    await fail(h);
    const hour = await activity(h);
    assert.equal(hour.range, 'hour');
    assert.equal(hour.bucket_seconds, 60);
    assert.equal(hour.buckets.length, 60);
    const now = h.clock.ms;
    assert.deepEqual(
      hour.buckets.map((bucket) => bucket.start),
      hour.buckets.map((_, i) => iso(now - (59 - i) * 60_000)),
    );
    assert.deepEqual(busy(hour.buckets), {
      [iso(now)]: {
        issued: counts([
          ['activity-a', 3],
          ['__proto__', 2],
        ]),
        failures: { wrong_secret: 2, unknown_client: 1, no_credentials: 1 },
      },
    });
    assert.deepEqual(Object.keys(hour.buckets.at(-1)?.issued ?? {}).sort(), ['__proto__', 'activity-a']);
    // No admin call, failed or not, is a token-endpoint failure.
    await h.inject({ method: 'GET', url: '/admin/activity', headers: { authorization: 'Bearer wrong-wrong-wrong' } });
    assert.deepEqual(busy((await activity(h)).buckets), busy(hour.buckets));
  });

  it('keeps each minute apart once written; the day sums minutes by hour', async () => {
    const start = h.clock.ms;
    await h.tessera.ctx.activity.flush();
    h.clock.advance(60);
    await h.tessera.ctx.activity.flush();
    await issue(h, a, 1);
    const minuteBefore = counts([
      ['activity-a', 3],
      ['__proto__', 2],
    ]);
    const failures = { wrong_secret: 2, unknown_client: 1, no_credentials: 1 };
    assert.deepEqual(busy((await activity(h, 'hour')).buckets), {
      [iso(start)]: { issued: minuteBefore, failures },
      [iso(start + 60_000)]: { issued: { 'activity-a': 1 }, failures: {} },
    });
    const day = await activity(h, 'day');
    assert.equal(day.bucket_seconds, 3600);
    assert.equal(day.buckets.length, 24);
    assert.equal(day.buckets.at(-1)?.start, iso(start));
    assert.deepEqual(busy(day.buckets), {
      [iso(start)]: {
        issued: counts([
          ['activity-a', 4],
          ['__proto__', 2],
        ]),
        failures,
      },
    });
    // Written twice over, nothing is counted twice.
    await h.tessera.ctx.activity.flush();
    await h.tessera.ctx.activity.flush();
    assert.deepEqual(busy((await activity(h, 'day')).buckets), busy(day.buckets));

    // An hour on, those minutes have left the hour's range but not the day's.
    h.clock.advance(3600);
    assert.deepEqual(busy((await activity(h, 'hour')).buckets), {});
    const later = await activity(h, 'day');
    assert.equal(later.buckets.at(-2)?.start, iso(start));
    assert.deepEqual(busy(later.buckets), busy(day.buckets));
  });

  it('keeps counts two days, then purges them', async () => {
    h.clock.advance(2 * 24 * 3600);
    const purged = await h.tessera.retention.purge();
    assert.ok(purged.activity >= 3, `purged ${purged.activity}`);
    assert.deepEqual(busy((await activity(h, 'day')).buckets), {});
  });

  it('answers 400 invalid_request to a range other than hour or day', async () => {
    for (const range of ['week', 'HOUR', 'hour&range=day']) {
      const r = await h.admin('GET', `/admin/activity?range=${range}`);
      assert.equal(r.statusCode, 400, range);
      assert.deepEqual(r.json(), { error: 'invalid_request', error_description: 'range must be hour or day' });
    }
    assert.equal((await h.inject({ method: 'GET', url: '/admin/activity' })).statusCode, 401);
  });
});

describe('activity across two servers sharing one PostgreSQL database', () => {
  const { freshSchema } = useTestSchemas();
  let one: Harness;
  let two: Harness;
  before(async () => {
    const schema = await freshSchema();
    const env = {
      TESSERA_DATABASE_URL: `${TEST_POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
      TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    };
    one = await startHarness({}, env);
    two = await startHarness({}, env);
    two.clock.ms = one.clock.ms;
  });
  after(async () => {
    await one?.close();
    await two?.close();
  });

  it('adds up both servers’ counts: each answer has the store’s and its own unwritten ones, none twice', async () => {
    const c = await one.createClient({ client_id: 'shared-client' });
    await issue(one, c, 2);
    await issue(two, c, 3);
    await fail(one, basic('shared-client', 'wrong'));
    await fail(two, basic('shared-client', 'wrong'));
    await fail(two, basic('nobody', 'wrong'));
    const expected = {
      [iso(one.clock.ms)]: { issued: { 'shared-client': 5 }, failures: { wrong_secret: 2, unknown_client: 1 } },
    };
    // Before any write each sees only its own.
    assert.deepEqual(busy((await activity(one)).buckets)[iso(one.clock.ms)]?.issued, { 'shared-client': 2 });
    await one.tessera.ctx.activity.flush();
    // two: one's written counts from the store, plus its own in memory.
    assert.deepEqual(busy((await activity(two)).buckets), expected);
    await two.tessera.ctx.activity.flush();
    assert.deepEqual(busy((await activity(one)).buckets), expected);
    await Promise.all([one.tessera.ctx.activity.flush(), two.tessera.ctx.activity.flush()]);
    assert.deepEqual(busy((await activity(two, 'day')).buckets), expected);
  });

  it('records an audit entry written by either server, seen by both', async () => {
    await two.createClient({ client_id: 'made-on-two' });
    const seen = (await one.admin('GET', '/admin/audit?limit=1')).json().items[0];
    assert.equal(seen.action, 'client.create');
    assert.equal(seen.target, 'made-on-two');
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/logging/logger.js';
import { createTessera, type Tessera } from '../src/server.js';
import type { Change, ChangeFeed } from '../src/sync/change-feed.js';
import { ADMIN_KEY, ISSUER, TestClock } from './harness.js';

/** Several processes' feeds joined in memory: what one publishes, every other one hears (as Redis or NOTIFY do). */
class Hub {
  readonly #subscribers = new Map<object, ((c: Change) => void)[]>();
  feed(): ChangeFeed {
    const me = {};
    this.#subscribers.set(me, []);
    return {
      publish: (change) => {
        const wire = JSON.parse(JSON.stringify(change)) as Change;
        for (const [who, fns] of this.#subscribers) if (who !== me) for (const fn of fns) fn(wire);
      },
      subscribe: (onChange) => {
        this.#subscribers.get(me)?.push(onChange);
      },
      close: async () => {},
    };
  }
  /** What an intruder with access to Redis alone could publish. */
  inject(change: Change): void {
    for (const fns of this.#subscribers.values()) for (const fn of fns) fn(change);
  }
}

const CONSOLE = { 'x-tessera-console': '1' };

describe('console sessions across workers and nodes (over the change feed)', () => {
  const hub = new Hub();
  const clock = new TestClock();
  const env = {
    TESSERA_DATABASE_URL: 'sqlite::memory:',
    TESSERA_ADMIN_KEY: ADMIN_KEY,
    TESSERA_ISSUER: ISSUER,
    TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  };
  let a: Tessera;
  let b: Tessera;
  before(async () => {
    const logger = createLogger('silent');
    const start = () => createTessera(loadConfig(env), { logger, now: clock.now, feed: hub.feed() });
    [a, b] = await Promise.all([start(), start()]);
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  const signIn = async (on: Tessera) => {
    const r = await on.app.inject({
      method: 'POST',
      url: '/admin/session',
      headers: CONSOLE,
      payload: { admin_key: ADMIN_KEY },
    });
    assert.equal(r.statusCode, 200);
    return { cookie: String(r.headers['set-cookie']).split(';')[0] as string, actor: r.json().actor as string };
  };
  const status = async (on: Tessera, cookie: string) =>
    (await on.app.inject({ method: 'GET', url: '/admin/session', headers: { cookie } })).statusCode;

  it('a session begun on one process is accepted on another, under the same actor', async () => {
    const { cookie, actor } = await signIn(a);
    const there = await b.app.inject({ method: 'GET', url: '/admin/session', headers: { cookie } });
    assert.equal(there.statusCode, 200);
    assert.equal(there.json().actor, actor);
    const created = await b.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: { cookie, ...CONSOLE },
      payload: { client_id: 'made-on-b' },
    });
    assert.equal(created.statusCode, 201);
  });

  it('keeps a session alive everywhere while it is used anywhere, and ends it everywhere on sign-out', async () => {
    const { cookie } = await signIn(a);
    // Used on B only, every 10 minutes for an hour: A hears of it and keeps it too.
    for (let i = 0; i < 6; i++) {
      clock.advance(10 * 60);
      assert.equal(await status(b, cookie), 200);
    }
    assert.equal(await status(a, cookie), 200, 'A heard it was in use');
    const out = await b.app.inject({ method: 'DELETE', url: '/admin/session', headers: { cookie, ...CONSOLE } });
    assert.equal(out.statusCode, 204);
    assert.equal(await status(a, cookie), 401);
    assert.equal(await status(b, cookie), 401);
  });

  it('ignores a session start it cannot verify: publishing on the feed is not signing in', async () => {
    const { createHash } = await import('node:crypto');
    const id = randomBytes(32).toString('base64url');
    const hash = createHash('sha256').update(id).digest('hex');
    hub.inject({
      kind: 'console-session',
      event: 'start',
      hash,
      actor: 'console:forged',
      created: clock.ms,
      mac: randomBytes(32).toString('base64url'),
    });
    hub.inject({ kind: 'console-session', event: 'start', hash: 'x', actor: 1, created: 'now', mac: {} } as never);
    assert.equal(await status(a, `tessera_console=${id}`), 401);
    assert.equal(await status(b, `tessera_console=${id}`), 401);
  });
});

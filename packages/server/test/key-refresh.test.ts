import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { pino } from 'pino';
import type { Change, ChangeFeed } from '../src/sync/change-feed.js';
import { KEY_REFRESH_MS, refreshKeys } from '../src/tokens/key-refresh.js';
import { basic, decodeJwt, type Harness, startHarness } from './harness.js';

/**
 * Two servers on one SQLite file with no change feed between them: the
 * shape of a node that missed the notification of a rotation.
 */
describe('a node that hears nothing of a rotation re-reads the keys within a minute', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-refresh-'));
  const env = {
    TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
    TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  };
  let a: Harness;
  let b: Harness;
  let c: { client_id: string; client_secret: string };
  before(async () => {
    // The refresh timer is a setInterval made at start: mock it before, move it by hand.
    mock.timers.enable({ apis: ['setInterval'] });
    a = await startHarness({}, env);
    b = await startHarness({}, env);
    c = await a.createClient({ scope: 'a' });
  });
  after(async () => {
    mock.timers.reset();
    await a?.close();
    await b?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const signedBy = async (h: Harness) => {
    const r = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(c.client_id, c.client_secret) },
    );
    assert.equal(r.statusCode, 200, r.body);
    return decodeJwt(r.json().access_token).header.kid;
  };
  const firstJwk = async (h: Harness) =>
    (await h.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys[0].kid;

  it('signs with the key another node rotated to, without a notification', async () => {
    const old = await signedBy(b);
    const rotated = (await a.admin('POST', '/admin/keys/rotate')).json().kid as string;
    assert.equal(await signedBy(a), rotated);
    assert.equal(await signedBy(b), old, 'b has not heard yet');

    mock.timers.tick(KEY_REFRESH_MS - 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await signedBy(b), old);

    mock.timers.tick(1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await signedBy(b), rotated);
    assert.equal(await firstJwk(b), rotated);
  });
});

describe('refreshKeys', () => {
  it('logs a failed reload, whether a change, a feed reset or the schedule caused it', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    let onChange: ((change: Change) => void) | undefined;
    let onReset: (() => void) | undefined;
    const feed: ChangeFeed = {
      publish() {},
      subscribe(change, reset) {
        onChange = change;
        onReset = reset;
      },
      async close() {},
    };
    let reloads = 0;
    const keys = {
      reload: async () => {
        reloads++;
        throw Object.assign(new Error('connection terminated'), { code: 'ECONNRESET' });
      },
    };
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const refresh = refreshKeys(keys, feed, logger, 1000);
      onChange?.({ kind: 'client', clientId: 'x' });
      onChange?.({ kind: 'keys' });
      onReset?.();
      mock.timers.tick(1000);
      await new Promise((resolve) => setImmediate(resolve));
      refresh.stop();
      mock.timers.tick(5000);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      mock.timers.reset();
    }
    assert.equal(reloads, 3, 'a client change reloads no keys; a stopped refresh nothing');
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; cause: string; err: { code: string } });
    assert.deepEqual(
      logged.map((l) => [l.msg, l.cause, l.err.code]),
      ['change', 'feed reset', 'schedule'].map((cause) => [
        'reloading the signing keys failed; signing with the keys loaded before',
        cause,
        'ECONNRESET',
      ]),
    );
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { basic, decodeJwt, type Harness, startHarness } from './harness.js';

const DAY = 24 * 3600;

/** The JWKS as `alg:kid` in document order. */
async function jwks(h: Harness): Promise<string[]> {
  const r = await h.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  return r.json().keys.map((k: { alg: string; kid: string }) => `${k.alg}:${k.kid}`);
}

async function signedBy(h: Harness, c: { client_id: string; client_secret: string }): Promise<string> {
  const r = await h.token({ grant_type: 'client_credentials' }, { authorization: basic(c.client_id, c.client_secret) });
  assert.equal(r.statusCode, 200, r.body);
  const { header } = decodeJwt(r.json().access_token);
  return `${header.alg}:${header.kid}`;
}

describe('JWKS order: the signing key first, then the next, then retiring ones', () => {
  it('during a scheduled rotation', async () => {
    const h = await startHarness({}, { TESSERA_KEY_ROTATION_DAYS: '10' });
    try {
      const c = await h.createClient({ scope: 'a', access_token_ttl: 600 });
      const first = await signedBy(h, c);
      h.clock.advance(9 * DAY);
      const next = `RS256:${(await h.tessera.keySchedule.tick())?.kid}`;
      assert.deepEqual(await jwks(h), [first, next], 'the current key before the scheduled one');
      h.clock.advance(DAY);
      assert.equal(await signedBy(h, c), next);
      assert.deepEqual(await jwks(h), [next, first], 'the new signer before the retiring one');
      h.clock.advance(9 * DAY);
      const third = `RS256:${(await h.tessera.keySchedule.tick())?.kid}`;
      assert.deepEqual(await jwks(h), [next, third]);
    } finally {
      await h.close();
    }
  });
});

describe('after TESSERA_SIGNING_ALG changed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-alg-'));
  const env = {
    TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
    TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    TESSERA_KEY_ROTATION_DAYS: '0',
  };
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts on the shared file with `alg`, runs `fn`, stops. */
  const withServer = async (alg: string, fn: (h: Harness) => Promise<void>) => {
    const h = await startHarness({}, { ...env, TESSERA_SIGNING_ALG: alg });
    try {
      await fn(h);
    } finally {
      await h.close();
    }
  };

  it('lists the new algorithm first, and drops the old keys once their last token has expired', async () => {
    let c = { client_id: '', client_secret: '' };
    let rs1 = '';
    let es = '';
    await withServer('RS256', async (h) => {
      c = await h.createClient({ scope: 'a', access_token_ttl: 600 });
      rs1 = await signedBy(h, c);
    });
    await withServer('ES256', async (h) => {
      es = await signedBy(h, c);
      assert.match(es, /^ES256:/);
      assert.deepEqual(await jwks(h), [es, rs1]);
    });
    // Back to RS256 while the first RS256 key is still retiring: a fresh key signs, the ES256 key retires too.
    await withServer('RS256', async (h) => {
      const rs2 = await signedBy(h, c);
      assert.notEqual(rs2, rs1);
      const [head, ...retiring] = await jwks(h);
      assert.equal(head, rs2);
      assert.deepEqual(retiring.sort(), [es, rs1].sort());
      // The longest token lifetime is 600 s: every key but the signer leaves after it, and signing goes on.
      h.clock.advance(600 + 2);
      assert.deepEqual(await jwks(h), [rs2]);
      assert.equal(await signedBy(h, c), rs2);
    });
  });
});

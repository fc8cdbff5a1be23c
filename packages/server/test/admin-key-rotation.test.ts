import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startHarness } from './harness.js';

/**
 * Rotating TESSERA_ADMIN_KEY without a moment where some node refuses the
 * key an operator or script still uses: restart with the new key and the old
 * one as TESSERA_ADMIN_KEY_PREVIOUS, then drop the old one.
 */
describe('admin key rotation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-admin-key-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const base = {
    TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
    TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  };
  const OLD = 'old-admin-key-0123456789';
  const NEW = 'new-admin-key-9876543210';

  const status = async (env: NodeJS.ProcessEnv, keys: string[]) => {
    const h = await startHarness({}, { ...base, ...env });
    try {
      const out: number[] = [];
      for (const key of keys) {
        out.push(
          (await h.inject({ method: 'GET', url: '/admin/clients', headers: { authorization: `Bearer ${key}` } }))
            .statusCode,
        );
      }
      return out;
    } finally {
      await h.close();
    }
  };

  it('accepts old and new during the change, only the new one after', async () => {
    assert.deepEqual(await status({ TESSERA_ADMIN_KEY: OLD }, [OLD, NEW]), [200, 401]);
    assert.deepEqual(
      await status({ TESSERA_ADMIN_KEY: NEW, TESSERA_ADMIN_KEY_PREVIOUS: OLD }, [OLD, NEW, 'some-other-key-000000']),
      [200, 200, 401],
    );
    assert.deepEqual(await status({ TESSERA_ADMIN_KEY: NEW }, [OLD, NEW]), [401, 200]);
  });
});

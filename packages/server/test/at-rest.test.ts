import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/logging/logger.js';
import { createTessera, type Tessera } from '../src/server.js';
import { basic, form } from './harness.js';

/**
 * What an attacker with a copy of the database file finds: no client
 * secret, admin key, private key or opaque token. And the encryption key
 * lives in a 0600 file beside it, never inside it.
 */
describe('secrets at rest (embedded store)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-at-rest-'));
  const dbPath = join(dir, 'tessera.db');
  let tessera: Tessera;
  after(async () => {
    await tessera?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps only hashes and sealed keys in the database file', async () => {
    const config = loadConfig({ TESSERA_DATABASE_URL: `sqlite:${dbPath}`, TESSERA_ISSUER: 'http://tessera.test' });
    tessera = await createTessera(config, { logger: createLogger('silent') });
    const adminKey = tessera.generatedAdminKey;
    assert.match(String(adminKey), /^tessera_ak_[A-Za-z0-9_-]{43}$/);
    const app = tessera.app;
    const admin = { authorization: `Bearer ${adminKey}` };
    const created = await Promise.all(
      ['client_secret_basic', 'client_secret_post', 'client_secret_jwt'].map(async (method) =>
        (
          await app.inject({
            method: 'POST',
            url: '/admin/clients',
            headers: admin,
            payload: { scope: 'a', token_endpoint_auth_method: method },
          })
        ).json(),
      ),
    );
    const opaqueClient = (
      await app.inject({
        method: 'POST',
        url: '/admin/clients',
        headers: admin,
        payload: { scope: 'a', access_token_format: 'opaque' },
      })
    ).json();
    const rotated = (
      await app.inject({
        method: 'POST',
        url: `/admin/clients/${opaqueClient.client_id}/secrets`,
        headers: admin,
        payload: { previous_secret_ttl: 60 },
      })
    ).json();
    const opaque = (
      await app.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: {
          authorization: basic(opaqueClient.client_id, rotated.client_secret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: form({ grant_type: 'client_credentials' }),
      })
    ).json().access_token as string;
    assert.match(opaque, /^tessera_at_/);

    // Checkpoint the WAL so everything is in the main file, then copy it as an attacker would.
    await tessera.close();
    const copy = join(dir, 'copy.db');
    copyFileSync(dbPath, copy);
    const raw =
      readFileSync(copy).toString('latin1') +
      (() => {
        try {
          return readFileSync(`${dbPath}-wal`).toString('latin1');
        } catch {
          return '';
        }
      })();
    const secrets = [
      String(adminKey),
      ...created.map((c) => c.client_secret as string),
      opaqueClient.client_secret,
      rotated.client_secret,
      opaque,
    ];
    for (const s of secrets) {
      assert.ok(!raw.includes(s), 'a secret is in the database file');
      assert.ok(!raw.includes(s.slice(11)), 'a secret body is in the database file');
    }
    assert.ok(!raw.includes('PRIVATE KEY'));
    assert.ok(raw.includes('hmac-sha256$'), 'hashes are there');

    const keyFile = `${dbPath}.key`;
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(readFileSync(keyFile, 'utf8').trim().length, 43);
    assert.ok(!raw.includes(readFileSync(keyFile, 'utf8').trim()), 'the encryption key is not in the database');
    assert.ok(readdirSync(dir).includes('tessera.db.key'));
  });

  it('restarts on the same files: same admin key hash, same signing key, secrets still valid', async () => {
    const config = loadConfig({ TESSERA_DATABASE_URL: `sqlite:${dbPath}`, TESSERA_ISSUER: 'http://tessera.test' });
    tessera = await createTessera(config, { logger: createLogger('silent') });
    assert.equal(tessera.generatedAdminKey, undefined, 'the admin key is generated once');
    assert.equal(tessera.ctx.keys.list().length, 1);
  });

  it('refuses to start with a different encryption key (keys cannot be opened)', async () => {
    await tessera.close();
    const config = loadConfig({
      TESSERA_DATABASE_URL: `sqlite:${dbPath}`,
      TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    });
    await assert.rejects(createTessera(config, { logger: createLogger('silent') }), /another encryption key/);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTessera, type TesseraProcess } from './support/tessera-process.js';

/** Debian's Python, where .ci/run installs python3-authlib, python3-jwt and python3-requests-oauthlib. */
const PYTHON = '/usr/bin/python3';

describe('Python clients (Authlib, requests-oauthlib, PyJWT) against a real Tessera process', () => {
  let t: TesseraProcess;
  before(async () => {
    const probe = spawnSync(PYTHON, ['-c', 'import authlib, jwt, requests_oauthlib'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      throw new Error(
        `the Python client libraries are missing (${probe.stderr.trim()}). Install them with ` +
          '`apt-get install -y python3-authlib python3-jwt python3-requests-oauthlib` (.ci/run does).',
      );
    }
    t = await startTessera();
  });
  after(() => t?.stop());

  it('passes every flow', () => {
    const r = spawnSync(PYTHON, [join(import.meta.dirname, 'python', 'clients.py'), t.url, t.adminKey], {
      encoding: 'utf8',
      timeout: 60_000,
      // requests-oauthlib insists on https; this is its documented switch for local servers.
      env: { ...process.env, OAUTHLIB_INSECURE_TRANSPORT: '1' },
    });
    assert.equal(
      r.status,
      0,
      `${r.stderr}\n${r.stdout}\n${t
        .output()
        .split('\n')
        .filter((l) => l.includes('refused'))
        .slice(-5)
        .join('\n')}`,
    );
    const passed = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('PASS '))
      .map((l) => l.slice(5));
    assert.deepEqual(passed, [
      'authlib client_secret_basic + pyjwt verify',
      'authlib introspect + revoke',
      'authlib client_secret_post',
      'authlib client_secret_jwt',
      'authlib private_key_jwt',
      'pyjwt-built assertion single use',
      'requests-oauthlib BackendApplicationClient',
      'requests-oauthlib invalid_client',
    ]);
  });
});

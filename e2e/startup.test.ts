import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { SERVER_MAIN } from './support/tessera-process.js';

describe('start-up', () => {
  for (const [name, value] of [
    ['TESSERA_PORT', 'eighty'],
    ['TESSERA_SIGNING_ALG', 'none'],
    ['TESSERA_DATABASE_URL', 'mongodb://x'],
    ['TESSERA_ENCRYPTION_KEY', 'not-a-key'],
  ] as const) {
    it(`a bad ${name} stops the server with one line naming it, no stack trace`, () => {
      const r = spawnSync(process.execPath, [SERVER_MAIN], {
        env: { PATH: process.env.PATH, [name]: value, TESSERA_DATABASE_URL: 'sqlite::memory:', ...{ [name]: value } },
        encoding: 'utf8',
        timeout: 10_000,
      });
      assert.equal(r.status, 1);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] as string, new RegExp(`^tessera: configuration error: ${name} `));
      assert.ok(!r.stderr.includes('    at '), 'no stack trace');
    });
  }
});

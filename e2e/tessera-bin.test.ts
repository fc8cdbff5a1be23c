import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * `tessera` on the PATH after `npm ci` at the root, as the README uses it:
 * node_modules/.bin/tessera and `npx tessera`. npm links a workspace's bins
 * before `prepare` builds dist/ and skips a bin whose file is missing then, so
 * the bin must be a committed, executable file, not something under dist/.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverDir = join(root, 'packages', 'server');
const BIN = join(root, 'node_modules', '.bin', 'tessera');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME ?? root, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: child.exitCode, stdout, stderr });
      },
    );
  });
}

describe('the tessera bin', () => {
  let server: TesseraProcess;
  before(async () => {
    server = await startTessera();
  });
  after(async () => {
    await server?.stop();
  });

  it('is a committed executable file with a shebang, present before the build', () => {
    const pkg = JSON.parse(readFileSync(join(serverDir, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const target = pkg.bin.tessera;
    assert.ok(target, 'packages/server/package.json has a tessera bin');
    assert.ok(!target.startsWith('dist/'), `bin ${target} is built, so missing when npm ci links bins`);
    const file = join(serverDir, target);
    assert.ok(existsSync(file), `${file} is missing`);
    assert.ok(readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node\n'), 'shebang');
    accessSync(file, constants.X_OK);
  });

  it('node_modules/.bin/tessera runs (--help, --version)', async () => {
    assert.ok(existsSync(BIN), `${BIN} is missing: npm ci did not link the bin`);
    const help = await run(BIN, ['--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: tessera/);
    const version = await run(BIN, ['--version']);
    assert.equal(version.code, 0, version.stderr);
    const pkg = JSON.parse(readFileSync(join(serverDir, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
  });

  it('`npx tessera clients list` answers from a running server', async () => {
    const created = await server.createClient({ client_name: 'bin-test', scope: 'read' });
    const r = await run('npx', ['--no-install', 'tessera', 'clients', 'list'], {
      TESSERA_URL: server.url,
      TESSERA_ADMIN_KEY: server.adminKey,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(created.client_id), r.stdout);
  });
});

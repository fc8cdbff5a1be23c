import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTessera, type TesseraProcess } from '../../../e2e/support/tessera-process.js';

/** `--dpop-bound` on `tessera clients create` and `update`: the built CLI against a real server process. */

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: child.exitCode, stdout, stderr });
      },
    );
    child.stdin?.end('');
  });
}

describe('tessera clients --dpop-bound', () => {
  let server: TesseraProcess;
  let env: Record<string, string>;
  before(async () => {
    server = await startTessera();
    env = { TESSERA_URL: server.url, TESSERA_ADMIN_KEY: server.adminKey };
  });
  after(() => server?.stop());

  it('is documented on create and update', async () => {
    for (const command of ['create', 'update']) {
      const help = await cli(['clients', command, '--help'], env);
      assert.match(help.stdout, /--dpop-bound +dpop_bound_access_tokens/, command);
      assert.match(help.stdout, /--no-dpop-bound/, command);
    }
  });

  it('sets, shows and clears dpop_bound_access_tokens; leaves it alone when not given', async () => {
    const created = await cli(['clients', 'create', '--json', '--scope', 'a', '--dpop-bound'], env);
    assert.equal(created.code, 0, created.stderr);
    const { client_id: id } = JSON.parse(created.stdout);
    assert.equal(JSON.parse(created.stdout).dpop_bound_access_tokens, true);

    const shown = await cli(['clients', 'get', id], env);
    assert.match(shown.stdout, /dpop bound +true/);

    const renamed = await cli(['clients', 'update', '--json', id, '--name', 'still bound'], env);
    assert.equal(JSON.parse(renamed.stdout).dpop_bound_access_tokens, true);

    const cleared = await cli(['clients', 'update', '--json', id, '--no-dpop-bound'], env);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.equal(JSON.parse(cleared.stdout).dpop_bound_access_tokens, false);

    const plain = await cli(['clients', 'create', '--json', '--scope', 'a'], env);
    assert.equal('dpop_bound_access_tokens' in JSON.parse(plain.stdout), false);
  });
});

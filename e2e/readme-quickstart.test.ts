import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTessera, type TesseraProcess } from './support/tessera-process.js';

const README = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');

/** The ```bash blocks of the README's quickstart, in order: what a reader pastes. */
function quickstartBlocks(): string[] {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('## Quickstart');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end);
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

describe('README quickstart', () => {
  let t: TesseraProcess;
  let dir: string;
  before(async () => {
    t = await startTessera({ TESSERA_ADMIN_KEY: 'dev-admin-key-change-me' });
    dir = mkdtempSync(join(tmpdir(), 'tessera-readme-'));
  });
  after(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('works pasted into a shell, with the documented answers', () => {
    const blocks = quickstartBlocks();
    assert.ok(blocks.length >= 6, `found ${blocks.length} bash blocks`);
    // The reader's server listens on 8080; ours on a free port.
    const script = ['set -e', ...blocks].join('\n').replaceAll('http://localhost:8080', t.url);
    const r = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(
      lines.slice(-4).map((l) => JSON.parse(l)),
      [
        { error: 'invalid_scope', error_description: 'scope not allowed for this client: billing.read' },
        { error: 'invalid_target', error_description: 'audience not allowed for this client: payments' },
        {},
        { active: false },
      ],
    );
    const token = JSON.parse(readFileSync(join(dir, 'token.json'), 'utf8'));
    assert.equal(token.scope, 'event.create');
    assert.equal(token.token_type, 'Bearer');
    assert.match(r.stdout, /aud: 'event'/);
    assert.match(r.stdout, /stt: 1/);
    assert.match(r.stdout, /"active":true,"scope":"event.create"/);
  });
});

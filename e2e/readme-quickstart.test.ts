import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from './support/tessera-process.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const README = join(REPO, 'README.md');

/** The README's quickstart section. */
function quickstart(): string {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('## Quickstart');
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end);
}

/** The ```bash blocks of the quickstart, in order: what a reader pastes into the second terminal. */
function quickstartBlocks(): string[] {
  return [...quickstart().matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

/** The first ```sh block of the quickstart: the command that starts the server in the first terminal. */
function serverCommand(): string {
  const m = /```sh\n([\s\S]*?)```/.exec(quickstart());
  assert.ok(m, 'no ```sh block starting the server');
  return (m[1] as string).trim();
}

/** Everything git would report of the working tree, ignored files included (data/, token.json, …). */
function gitStatus(): string {
  const r = spawnSync('git', ['status', '--porcelain', '--ignored'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

async function ready(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server stopped:\n${output()}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not become ready:\n${output()}`);
}

describe('README quickstart', () => {
  let server: ChildProcess;
  let url: string;
  let tmp: string;
  let statusBefore: string;
  before(async () => {
    statusBefore = gitStatus();
    tmp = mkdtempSync(join(tmpdir(), 'tessera-readme-'));
    // The reader's first terminal: the documented command, run from the repository.
    // Their server listens on 8080; ours on a free port.
    const port = await freePort();
    url = `http://localhost:${port}`;
    server = spawn('bash', ['-c', serverCommand()], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TESSERA_PORT: String(port), TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    server.stdout?.on('data', (d) => {
      out += d;
    });
    server.stderr?.on('data', (d) => {
      out += d;
    });
    await ready(url, server, () => out);
  });
  after(async () => {
    if (server?.pid && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('works pasted into a shell from the repository, with the documented answers, and leaves the repository as it was', () => {
    const blocks = quickstartBlocks();
    assert.ok(blocks.length >= 7, `found ${blocks.length} bash blocks`);
    const script = ['set -e', ...blocks, 'echo "SCRATCH=$PWD"'].join('\n').replaceAll('http://localhost:8080', url);
    // The reader starts where they ran `npm ci`: the repository. mktemp -d goes under our TMPDIR.
    const r = spawnSync('bash', ['-c', script], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmp },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    const lines = r.stdout.trim().split('\n');
    const refused = lines.findIndex((l) => l.startsWith('{"error":"invalid_scope"'));
    assert.ok(refused >= 0, r.stdout);
    assert.deepEqual(
      lines.slice(refused, refused + 4).map((l) => JSON.parse(l)),
      [
        { error: 'invalid_scope', error_description: 'scope not allowed for this client: billing.read' },
        { error: 'invalid_target', error_description: 'audience not allowed for this client: payments' },
        {},
        { active: false },
      ],
    );
    assert.match(r.stdout, /aud: 'event'/);
    assert.match(r.stdout, /stt: 1/);
    assert.match(r.stdout, /"active":true,"scope":"event.create"/);
    // The CLI part: a table of clients, a token got with the secret on stdin, a rotated key.
    assert.match(r.stdout, /Inventory Service/);
    assert.match(r.stdout, /^scope +event\.create$/m);
    assert.match(r.stdout, /JWT claims:/);

    // The files went to the scratch directory, under TMPDIR, not into the repository.
    const scratch = /^SCRATCH=(.+)$/m.exec(r.stdout)?.[1] ?? '';
    assert.ok(scratch.startsWith(tmp), `scratch directory ${scratch} is not under ${tmp}`);
    const token = JSON.parse(readFileSync(join(scratch, 'token.json'), 'utf8'));
    assert.equal(token.scope, 'event.create');
    assert.equal(token.token_type, 'Bearer');
    assert.deepEqual(readdirSync(scratch).sort(), [
      'calendar-service.json',
      'inventory-service.json',
      'task-service.json',
      'token.json',
    ]);
    for (const f of ['token.json', 'task-service.json', 'calendar-service.json', 'data']) {
      assert.ok(!existsSync(join(REPO, f)) || statusBefore.includes(f), `${f} appeared in the repository`);
    }
    assert.equal(
      gitStatus(),
      statusBefore,
      'the quickstart changed `git status --porcelain --ignored` of the repository',
    );
  });
});

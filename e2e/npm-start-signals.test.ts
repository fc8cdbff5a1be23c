import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, SERVER_MAIN } from './support/tessera-process.js';

/**
 * `npm start`, as the README starts the server, stopped the way an
 * orchestrator stops it: SIGTERM to the process it started (npm). npm forwards
 * the signal to its script's shell; the script must exec node so that the
 * server gets it, drains and exits, instead of being orphaned and serving on.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function listening(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return true;
  } catch {
    return false;
  }
}

it('SIGTERM to `npm start` drains and stops the server', { timeout: 60_000 }, async () => {
  // A missing build fails this test; it never skips it.
  assert.ok(existsSync(SERVER_MAIN), `${SERVER_MAIN} is missing: run \`npm run build\``);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-npm-start-'));
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('TESSERA_') || name.startsWith('npm_')) delete env[name];
  const npm = spawn('npm', ['start'], {
    cwd: root,
    env: {
      ...env,
      TESSERA_PORT: String(port),
      TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
      TESSERA_ADMIN_KEY: 'npm-start-test-admin-key-0123456789',
      TESSERA_LOG_LEVEL: 'info',
      TESSERA_SHUTDOWN_DRAIN_MS: '200',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  npm.stdout.on('data', (d) => {
    out += d;
  });
  npm.stderr.on('data', (d) => {
    out += d;
  });
  const npmExited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
  const url = `http://localhost:${port}/healthz`;
  let serverPid: number | undefined;
  try {
    const deadline = Date.now() + 20_000;
    while (!(await listening(url))) {
      assert.ok(npm.exitCode === null, `npm start exited with ${npm.exitCode}:\n${out}`);
      assert.ok(Date.now() < deadline, `npm start did not answer /healthz in 20 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // The server's own pid, from its ready line (npm's and the shell's are not it).
    const ready = out.split('\n').find((line) => line.includes('"tessera ready"'));
    assert.ok(ready, out);
    serverPid = JSON.parse(ready).pid as number;
    assert.notEqual(serverPid, npm.pid);

    const signalled = Date.now();
    npm.kill('SIGTERM');
    const gone = Date.now() + 5_000;
    while (alive(serverPid) || npm.exitCode === null) {
      assert.ok(
        Date.now() < gone,
        `5 s after SIGTERM to npm: npm ${npm.exitCode === null ? 'runs' : 'exited'}, ` +
          `server pid ${serverPid} ${alive(serverPid) ? 'still runs' : 'exited'}:\n${out}`,
      );
      await new Promise((r) => setTimeout(r, 50));
    }
    await npmExited;
    assert.equal(await listening(url), false, 'the port still answers');
    // It drained (the SIGTERM path, with its drain period), not killed outright.
    assert.match(out, /"signal":"SIGTERM","drainMs":200,"msg":"shutting down"/);
    assert.ok(Date.now() - signalled >= 200, 'stopped before the drain period');
  } finally {
    if (serverPid !== undefined && alive(serverPid)) process.kill(serverPid, 'SIGKILL');
    if (npm.exitCode === null) npm.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

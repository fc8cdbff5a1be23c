import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  dockerignore,
  envPairs,
  type Instruction,
  instructions,
  parseDockerfile,
  type Stage,
  substitute,
} from './support/dockerfile.js';
import { freePort } from './support/tessera-process.js';

/**
 * The Dockerfile, checked and then replayed without Docker (no registry can be
 * reached here to pull a base image): its stages are built in a clean copy of
 * the repository that honours .dockerignore, their RUN steps run as an
 * unprivileged user, and the runtime stage's CMD is started with the image's
 * ENV as PID 1 of a fresh PID namespace (as in a container), its HEALTHCHECK
 * run, and then stopped with SIGTERM as `docker stop` does.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const ignored = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
const runtime = dockerfile.stages.at(-1) as Stage;
const VOLUME = '/data';

const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);
const stageEnv = (stage: Stage) => Object.assign({}, ...all(stage, 'ENV').map((i) => envPairs(i.args)));
const npmCi = (stage: Stage) => all(stage, 'RUN').filter((i) => /\bnpm ci\b/.test(i.args));

describe('Dockerfile', () => {
  it('is read the way Docker reads it (continuations, flags, exec and shell forms, global ARGs)', () => {
    const parsed = parseDockerfile(
      [
        'ARG IMG=node:20',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile syntax, not a template
        'FROM ${IMG} AS one',
        '# a comment',
        'RUN a \\',
        '  # dropped inside a continuation too',
        '  && b',
        'FROM $IMG',
        'COPY --from=one --chown=1:1 /x y',
        'HEALTHCHECK --interval=5s CMD ["node", "-e", "1"]',
        'CMD node main.js',
        'ENV A=1 B="two words"',
      ].join('\n'),
    );
    assert.deepEqual(
      parsed.stages.map((s) => [s.name, s.image]),
      [
        ['one', 'node:20'],
        ['1', 'node:20'],
      ],
    );
    assert.equal(parsed.stages[0]?.instructions[0]?.args, 'a && b');
    const [copy, health, cmd, env] = (parsed.stages[1]?.instructions ?? []) as Instruction[];
    assert.deepEqual(copy?.flags, { from: 'one', chown: '1:1' });
    assert.equal(copy?.args, '/x y');
    assert.deepEqual(health?.exec, ['node', '-e', '1']);
    assert.equal(cmd?.exec, undefined);
    assert.deepEqual(envPairs(env?.args ?? ''), { A: '1', B: 'two words' });
    assert.deepEqual(instructions('RUN x\nRUN y').length, 2);
    const ignore = dockerignore('**/node_modules\n.git\n*.md\n!README.md');
    assert.deepEqual(
      ['node_modules/x', 'a/node_modules', '.git/HEAD', 'x.md', 'README.md', 'docs/x.md', 'src/a.ts'].map(ignore),
      [true, true, true, true, false, false, false],
    );
  });

  it('builds with dev dependencies in one stage and runs with production ones only, from one base image', () => {
    assert.ok(dockerfile.stages.length >= 2, 'a multi-stage build');
    assert.equal(new Set(dockerfile.stages.map((s) => s.image)).size, 1, 'one base image: native modules match');
    assert.match(runtime.image, /^node:20\b.*-slim$/, 'a slim Node 20 image (the engines floor is 20.19)');

    const build = dockerfile.stages.find((s) => all(s, 'RUN').some((i) => /\bnpm run build\b/.test(i.args)));
    assert.ok(build, 'a stage runs `npm run build`');
    assert.ok(
      npmCi(build).some((i) => !/--omit=dev|--production/.test(i.args)),
      'the build stage installs the dev dependencies',
    );

    // The runtime stage installs nothing: its node_modules come from a stage that omits dev dependencies.
    assert.deepEqual(
      all(runtime, 'RUN').filter((i) => /\b(npm|npx|yarn|pnpm)\b/.test(i.args)),
      [],
    );
    const modules = all(runtime, 'COPY').filter((i) => /node_modules/.test(i.args));
    assert.equal(modules.length, 1, 'one node_modules copied into the runtime stage');
    const from = dockerfile.stages.find((s) => s.name === modules[0]?.flags.from);
    assert.ok(from && from !== build, 'node_modules comes from a dependencies stage, not the build stage');
    assert.ok(npmCi(from).length > 0 && npmCi(from).every((i) => /--omit=dev/.test(i.args)));
    assert.ok(
      all(runtime, 'COPY').every((i) => i.flags.from !== build.name || /\/dist$/.test(i.args)),
      'only built output comes from the build stage',
    );
  });

  it('runs node as a non-root user, exec form, with a data volume, a port and a healthcheck without curl', () => {
    const user = last(runtime, 'USER')?.args;
    assert.ok(user, 'USER is set');
    const [uid] = user.split(':');
    assert.ok(uid !== 'root' && uid !== '0', `USER ${user} is not root`);
    assert.match(uid as string, /^[1-9]\d*$/, 'numeric, so Kubernetes runAsNonRoot can check it');

    assert.equal(all(runtime, 'ENTRYPOINT').length, 0);
    const cmd = last(runtime, 'CMD');
    assert.deepEqual(cmd?.exec, ['node', 'packages/server/dist/main.js'], 'node itself, exec form: PID 1');

    const env = stageEnv(runtime);
    assert.equal(env.TESSERA_HOST, '0.0.0.0');
    assert.equal(env.TESSERA_DATABASE_URL, `sqlite:${VOLUME}/tessera.db`);
    assert.equal(env.NODE_ENV, 'production');
    assert.deepEqual(
      all(runtime, 'EXPOSE').map((i) => i.args),
      [env.TESSERA_PORT],
    );
    const volumes = all(runtime, 'VOLUME').map((i) => i.exec ?? i.args.split(/\s+/));
    assert.deepEqual(volumes, [[VOLUME]]);

    const health = last(runtime, 'HEALTHCHECK');
    assert.ok(health?.exec, 'HEALTHCHECK CMD in exec form');
    assert.equal(health.exec[0], 'node');
    assert.match(health.exec.join(' '), /\/healthz/);
    assert.doesNotMatch(health.exec.join(' '), /curl|wget/);
    assert.ok(health.flags.interval && health.flags.timeout, 'interval and timeout set');
  });

  it('.dockerignore keeps what is built, installed or secret on the building machine out of the context', () => {
    for (const path of [
      '.git/config',
      'node_modules/typescript/package.json',
      'packages/server/node_modules/x',
      'packages/server/dist/main.js',
      'packages/server/tsconfig.tsbuildinfo',
      'data/tessera.db',
      'data/tessera.db.key',
      'tessera.db-wal',
      '.env',
      '.env.local',
    ])
      assert.equal(ignored(path), true, `${path} is sent to the build`);
    for (const path of ['package.json', 'package-lock.json', 'packages/server/src/main.ts', 'LICENSE'])
      assert.equal(ignored(path), false, `${path} is left out of the build`);
  });

  it('replayed in a clean copy as an unprivileged user: ready, healthy, and stopped by SIGTERM as PID 1', {
    timeout: 300_000,
  }, async (t) => {
    const root = process.getuid?.() === 0;
    const [uid, gid = uid] = (last(runtime, 'USER')?.args ?? '').split(':').map(Number) as [number, number?];
    // Root replays the build as nobody and runs the server as the image's USER; anyone else, as themselves.
    const builder = root ? { uid: 65534, gid: 65534 } : {};
    const tmp = mkdtempSync(join(tmpdir(), 'tessera-container-'));
    try {
      execFileSync('chmod', ['0755', tmp]);
      const started = Date.now();
      const buildEnv = prepareNpm(tmp, root);
      const context = copyContext(join(tmp, 'context'));
      const stageRoot = (name: string) => join(tmp, 'stages', name);
      const volume = join(tmp, 'volume');
      const replayed: string[] = [];

      for (const stage of dockerfile.stages) {
        let workdir = '/';
        const env: Record<string, string> = {};
        mkdirSync(stageRoot(stage.name), { recursive: true });
        const inStage = (path: string) => join(stageRoot(stage.name), path);
        for (const ins of stage.instructions) {
          if (ins.keyword === 'WORKDIR') {
            workdir = posix.resolve(workdir, substitute(ins.args, env));
            mkdirSync(inStage(workdir), { recursive: true });
          } else if (ins.keyword === 'ENV') Object.assign(env, envPairs(ins.args));
          else if (ins.keyword === 'COPY') {
            const words = ins.args.split(/\s+/);
            const dest = words.pop() as string;
            const into = inStage(posix.resolve(workdir, dest));
            const base = ins.flags.from ? stageRoot(ins.flags.from) : context;
            for (const src of words) {
              assert.doesNotMatch(src, /[*?]/, `line ${ins.line}: wildcards are not replayed`);
              const from = join(base, ins.flags.from ? posix.resolve('/', src) : src);
              assert.ok(existsSync(from), `line ${ins.line}: ${src} does not exist`);
              const target = dest.endsWith('/') || words.length > 1 ? join(into, posix.basename(src)) : into;
              const asDir = statSync(from).isDirectory();
              mkdirSync(asDir ? target : dirname(target), { recursive: true });
              cpSync(from, target, { recursive: true, verbatimSymlinks: true });
            }
            if (root) execFileSync('chown', ['-R', '65534:65534', stageRoot(stage.name)]);
          } else if (ins.keyword === 'RUN') {
            const command = ins.exec ? ins.exec.join(' ') : ins.args;
            if (/^apt-get\b/.test(command)) {
              // The base image's system packages: this machine has its own.
              replayed.push(`skipped (system packages): ${command}`);
              continue;
            }
            if (new RegExp(`(^|\\s)${VOLUME}(\\s|$)`).test(command)) {
              // Preparing the volume's mount point: done on its stand-in, as root as in Docker when root.
              if (root) run('/bin/sh', ['-c', command.replaceAll(VOLUME, volume)], { cwd: tmp });
              else mkdirSync(volume, { mode: 0o700 });
              replayed.push(`on the volume: ${command}`);
              continue;
            }
            const t0 = Date.now();
            run('/bin/sh', ['-c', command], {
              cwd: inStage(workdir),
              env: { ...buildEnv, ...env },
              ...builder,
            });
            replayed.push(`${stage.name}: ${command} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
          }
        }
      }
      t.diagnostic(`replayed:\n${replayed.join('\n')}`);
      t.diagnostic(`build replayed in ${((Date.now() - started) / 1000).toFixed(1)} s`);

      // What the image holds: the built server and production dependencies only.
      const workdir = posix.resolve('/', last(runtime, 'WORKDIR')?.args ?? '/');
      const app = join(stageRoot(runtime.name), workdir);
      const modules = join(app, 'node_modules');
      // No package the lockfile marks dev-only, and none of the examples' or benchmarks' own.
      const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { dev?: boolean }>;
      };
      const devOnly = Object.entries(lock.packages).filter(([path, p]) => p.dev && path.startsWith('node_modules/'));
      assert.ok(devOnly.some(([path]) => path === 'node_modules/typescript'));
      const shipped = devOnly.filter(([path]) => existsSync(join(app, path))).map(([path]) => path);
      assert.deepEqual(shipped, [], 'dev dependencies in the image');
      for (const other of ['express', 'typescript', 'tsx', 'yaml'])
        assert.equal(existsSync(join(modules, other)), false, `${other} is in the image`);
      for (const prod of ['fastify', 'pg', 'ioredis', 'jose', 'better-sqlite3/build/Release/better_sqlite3.node'])
        assert.ok(existsSync(join(modules, prod)), `${prod} is missing from the image`);
      assert.deepEqual(readdirSync(join(modules, '@tessera')), ['server']);
      assert.deepEqual(readdirSync(join(app, 'packages')), ['console', 'server']);
      assert.deepEqual(readdirSync(join(app, 'packages', 'console')), ['dist'], 'only the built console');
      assert.equal(existsSync(join(app, 'packages', 'server', 'src')), false, 'sources are not shipped');
      const size = execFileSync('du', ['-sm', app], { encoding: 'utf8' }).split('\t')[0];
      t.diagnostic(`the runtime stage's ${workdir}: ${size} MB (node_modules and the built server)`);

      // docker run -e TESSERA_PORT=… -v <volume>:/data: the image's ENV, the volume mounted, a free port.
      const port = await freePort();
      const runEnv: Record<string, string> = {
        PATH: process.env.PATH as string,
        ...Object.fromEntries(
          Object.entries(stageEnv(runtime)).map(([k, v]) => [k, String(v).replaceAll(VOLUME, volume)]),
        ),
        TESSERA_PORT: String(port),
      };
      const cmd = last(runtime, 'CMD')?.exec as string[];
      const asPid1 = root && spawnSync('unshare', ['--pid', '--fork', 'true']).status === 0;
      const argv = asPid1
        ? ['unshare', '--pid', '--fork', 'setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', ...cmd]
        : cmd;
      if (!asPid1) t.diagnostic('not root: the server runs as this user, outside a PID namespace');
      const server = spawn(argv[0] as string, argv.slice(1), {
        cwd: app,
        env: runEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      server.stdout?.on('data', (d) => {
        out += d;
      });
      server.stderr?.on('data', (d) => {
        out += d;
      });
      const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
      try {
        const url = `http://127.0.0.1:${port}`;
        const deadline = Date.now() + 20_000;
        let ready: Response | undefined;
        while (!ready?.ok) {
          assert.equal(server.exitCode, null, `the server exited:\n${out}`);
          assert.ok(Date.now() < deadline, `no 200 from /readyz in 20 s:\n${out}`);
          ready = await fetch(`${url}/readyz`).catch(() => undefined);
          if (!ready?.ok) await new Promise((r) => setTimeout(r, 100));
        }
        assert.deepEqual(await ready.json(), { status: 'ready', store: 'sqlite' });
        // The console the image was built with.
        const page = await fetch(`${url}/console/`);
        assert.equal(page.status, 200);
        assert.match(
          await page.text(),
          /<script type="module" crossorigin src="\/console\/assets\/[^"]+\.js"><\/script>/,
        );

        const line = out.split('\n').find((l) => l.includes('"tessera ready"'));
        assert.ok(line, out);
        if (asPid1) assert.equal(JSON.parse(line).pid, 1, 'node is PID 1 of its namespace');

        // The volume holds the database and its key file, the server user's alone.
        for (const file of ['tessera.db', 'tessera.db.key']) {
          const s = statSync(join(volume, file));
          assert.equal(s.mode & 0o777, 0o600, file);
          if (root) assert.equal(s.uid, uid, `${file} belongs to the image's user`);
        }

        const health = last(runtime, 'HEALTHCHECK')?.exec as string[];
        const user = root ? { uid, gid } : {};
        assert.equal(healthcheck(health, { ...runEnv }, app, user), 0, 'HEALTHCHECK fails on a healthy server');
        const closed = await freePort();
        assert.notEqual(
          healthcheck(health, { ...runEnv, TESSERA_PORT: String(closed) }, app, user),
          0,
          'HEALTHCHECK passes with nothing listening',
        );

        // docker stop: SIGTERM to the container's PID 1 (node itself), not to anything around it.
        const pid = asPid1 ? childOf(server.pid as number) : (server.pid as number);
        const signalled = Date.now();
        process.kill(pid, 'SIGTERM');
        const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
        assert.equal(code, 0, `exit after SIGTERM:\n${out}`);
        t.diagnostic(
          `stopped ${Date.now() - signalled} ms after SIGTERM (drain ${runEnv.TESSERA_SHUTDOWN_DRAIN_MS ?? 2000} ms by default)`,
        );
        assert.match(out, /"signal":"SIGTERM".*"msg":"shutting down"/);
      } finally {
        killTree(server);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

/** Runs a command to completion; throws with its output when it fails. */
function run(
  cmd: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number },
) {
  const r = spawnSync(cmd, args, { ...options, encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0)
    throw new Error(`${args.join(' ')} failed (${r.status ?? r.signal ?? r.error}):\n${r.stdout}\n${r.stderr}`);
}

function healthcheck(argv: string[], env: Record<string, string>, cwd: string, user: { uid?: number; gid?: number }) {
  return spawnSync(argv[0] as string, argv.slice(1), { cwd, env, timeout: 10_000, ...user }).status;
}

/** The one child of a process (unshare --fork's: the namespace's PID 1). */
function childOf(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  assert.equal(children.length, 1, `children of ${pid}: ${children}`);
  return Number(children[0]);
}

function killTree(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(childOf(child.pid as number), 'SIGKILL');
  } catch {
    // not namespaced, or already gone
  }
  child.kill('SIGKILL');
}

/**
 * The build context as `docker build .` sends it: the repository's files
 * (tracked, plus new ones git does not ignore), minus .dockerignore's.
 */
function copyContext(into: string): string {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f !== '' && !ignored(f) && existsSync(join(ROOT, f)));
  assert.ok(files.includes('package-lock.json') && !files.some((f) => f.startsWith('node_modules/')));
  for (const f of files) {
    mkdirSync(dirname(join(into, f)), { recursive: true });
    cpSync(join(ROOT, f), join(into, f), { verbatimSymlinks: true });
  }
  return into;
}

/**
 * npm for the unprivileged builder: this machine's npm settings and a copy of
 * its cache (so `npm ci` needs no download it already made), preferring the
 * cache. better-sqlite3's prebuilt binary, which a Docker build downloads from
 * the project's releases, is taken from this repository's own install through
 * prebuild-install's local-prebuilds setting: no network, no 2-minute compile.
 */
function prepareNpm(tmp: string, root: boolean): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  const npmGet = (key: string) =>
    execFileSync('npm', ['config', 'get', key], { cwd: tmp, env, encoding: 'utf8' }).trim();
  const home = join(tmp, 'home');
  mkdirSync(home);
  const userconfig = npmGet('userconfig');
  if (existsSync(userconfig)) cpSync(userconfig, join(home, '.npmrc'));
  let cache = npmGet('cache');
  if (root) {
    const copy = join(tmp, 'npm-cache');
    if (existsSync(join(cache, '_cacache')))
      cpSync(join(cache, '_cacache'), join(copy, '_cacache'), { recursive: true });
    cache = copy;
  }

  const prebuilds = join(tmp, 'prebuilds');
  mkdirSync(prebuilds);
  const sqlite = join(ROOT, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(join(sqlite, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync('tar', ['-C', sqlite, '-czf', join(prebuilds, name), 'build/Release/better_sqlite3.node']);

  mkdirSync(cache, { recursive: true });
  if (root) execFileSync('chown', ['-R', '65534:65534', home, cache, prebuilds]);
  return {
    PATH: env.PATH,
    HOME: home,
    npm_config_cache: cache,
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_better_sqlite3_local_prebuilds: prebuilds,
  };
}

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type RegisteredClient, startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * @tessera/client and @tessera/verify as another project gets them: `npm pack`
 * of each, `npm install` of the two tarballs into a throwaway project outside
 * the repository, then an ES module and a CommonJS script (require()) that get
 * a token from a running Tessera and verify it, and TypeScript checks of a
 * consumer with moduleResolution nodenext, node16 and bundler.
 */
const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const PACKAGES = { client: '@tessera/client', verify: '@tessera/verify' } as const;

// npm test's own npm_* settings (workspace, prefix…) must not steer the
// consumer's npm.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

async function sh(cmd: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}) {
  try {
    return await run(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60_000 });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${err.stdout}\n${err.stderr}`);
  }
}

const ESM = `
import { createTokenClient } from '@tessera/client';
import { createVerifier } from '@tessera/verify';
import { requireToken } from '@tessera/verify/node-http';
import * as express from '@tessera/verify/express';
import * as fastify from '@tessera/verify/fastify';
import pkg from '@tessera/verify/package.json' with { type: 'json' };

const { ISSUER, CLIENT_ID, CLIENT_SECRET } = process.env;
const tokens = createTokenClient({ issuer: ISSUER, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
const token = await tokens.getToken({ audience: 'calendar', scope: 'event.view' });
const verified = await createVerifier({ issuer: ISSUER, audience: 'calendar' }).verify(token, { scope: 'event.view' });
console.log(JSON.stringify({
  kind: 'esm',
  clientId: verified.clientId,
  scopes: verified.scopes,
  middleware: [typeof requireToken, typeof express.requireToken, typeof fastify.requireToken],
  version: pkg.version,
}));
`;

const CJS = `
const { createTokenClient } = require('@tessera/client');
const { createVerifier } = require('@tessera/verify');
const { requireToken } = require('@tessera/verify/node-http');
const express = require('@tessera/verify/express');
const fastify = require('@tessera/verify/fastify');
const pkg = require('@tessera/verify/package.json');

const { ISSUER, CLIENT_ID, CLIENT_SECRET } = process.env;
(async () => {
  const tokens = createTokenClient({ issuer: ISSUER, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const token = await tokens.getToken({ audience: 'calendar', scope: 'event.view' });
  const verified = await createVerifier({ issuer: ISSUER, audience: 'calendar' }).verify(token, { scope: 'event.view' });
  console.log(JSON.stringify({
    kind: 'cjs',
    clientId: verified.clientId,
    scopes: verified.scopes,
    middleware: [typeof requireToken, typeof express.requireToken, typeof fastify.requireToken],
    version: pkg.version,
  }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

// Types must come from the packages: with noImplicitAny, an untyped import is
// an error (TS7016), and the annotations fail if the declarations are wrong.
const TS_CONSUMER = `
import { createTokenClient, type TokenClient } from '@tessera/client';
import { createVerifier, type VerifiedToken, Verifier } from '@tessera/verify';
import { requireToken } from '@tessera/verify/node-http';

export async function check(issuer: string): Promise<readonly string[]> {
  const tokens: TokenClient = createTokenClient({ issuer, clientId: 'a', clientSecret: 's' });
  const token: string = await tokens.getToken({ audience: 'calendar' });
  const verifier: Verifier = createVerifier({ issuer, audience: 'calendar' });
  const verified: VerifiedToken = await verifier.verify(token);
  const handler: (...args: never[]) => unknown = requireToken({ verifier, scope: 'event.view' }, () => {});
  void handler;
  return verified.scopes;
}
`;

const TS_CASES = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  node16: { module: 'node16', moduleResolution: 'node16' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
} as const;

describe('packaging: @tessera/client and @tessera/verify installed from their tarballs', () => {
  let tessera: TesseraProcess;
  let client: RegisteredClient;
  let tmp: string;
  let project: string;
  const tarballs: Record<string, { filename: string; files: string[] }> = {};

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tessera-packaging-'));
    const packs = join(tmp, 'packs');
    mkdirSync(packs);
    const started = startTessera().then(async (t) => {
      tessera = t;
      client = await t.createClient({ client_id: 'packaged-consumer', scope: 'event.view', audience: ['calendar'] });
    });
    await sh(process.execPath, [TSC, '-b', 'packages/server', 'packages/client', 'packages/verify'], ROOT);
    // Sequential: both prepacks run tsc -b, which must not race on the same outputs.
    for (const dir of Object.keys(PACKAGES)) {
      const { stdout } = await sh('npm', ['pack', '--json', '--pack-destination', packs], join(ROOT, 'packages', dir));
      const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
      assert.ok(info);
      tarballs[dir] = { filename: join(packs, info.filename), files: info.files.map((f) => f.path).sort() };
    }

    project = join(tmp, 'consumer');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
    await sh(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        tarballs.client?.filename as string,
        tarballs.verify?.filename as string,
      ],
      project,
    );
    writeFileSync(join(project, 'esm.mjs'), ESM);
    writeFileSync(join(project, 'cjs.cjs'), CJS);
    writeFileSync(join(project, 'consumer.mts'), TS_CONSUMER);
    for (const [name, options] of Object.entries(TS_CASES)) {
      writeFileSync(
        join(project, `tsconfig.${name}.json`),
        JSON.stringify({
          compilerOptions: {
            ...options,
            target: 'es2022',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            // A Node project has @types/node; the repository's own serves here.
            typeRoots: [join(ROOT, 'node_modules', '@types')],
            types: ['node'],
          },
          files: ['consumer.mts'],
        }),
      );
    }
    await started;
  });

  after(async () => {
    await tessera?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  for (const [dir, name] of Object.entries(PACKAGES)) {
    it(`${name}'s tarball holds the build, its types, README and LICENSE, and nothing else`, () => {
      const files = tarballs[dir]?.files ?? [];
      assert.ok(files.includes('LICENSE') && files.includes('README.md') && files.includes('package.json'));
      assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts'));
      const others = files.filter((f) => !['LICENSE', 'README.md', 'package.json'].includes(f));
      for (const f of others) {
        assert.match(f, /^dist\/.*(\.d\.ts|\.js)$/, `unexpected file ${f}`);
        assert.doesNotMatch(f, /\.test\.|\/testing\//, `test file ${f}`);
      }
      for (const f of others.filter((f) => f.endsWith('.js'))) {
        assert.ok(others.includes(f.replace(/\.js$/, '.d.ts')), `${f} has no declarations`);
        const text = readFileSync(join(project, 'node_modules', name, f), 'utf8');
        assert.doesNotMatch(text, /sourceMappingURL/, `${f} points at a source map`);
      }
      assert.equal(
        readFileSync(join(project, 'node_modules', name, 'LICENSE'), 'utf8'),
        readFileSync(join(ROOT, 'LICENSE'), 'utf8'),
      );
      // Every export names its types, and every target is in the tarball.
      const pkg = JSON.parse(readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8'));
      for (const [subpath, target] of Object.entries(pkg.exports as Record<string, unknown>)) {
        if (subpath === './package.json') continue;
        const t = target as { types?: string; default?: string };
        assert.ok(t.types && t.default, `${name} ${subpath} has no types or default`);
        assert.ok(files.includes(t.types.slice(2)) && files.includes(t.default.slice(2)), `${subpath} target missing`);
      }
    });
  }

  for (const script of ['esm.mjs', 'cjs.cjs']) {
    it(`${script} gets a token from Tessera with @tessera/client and verifies it with @tessera/verify`, async () => {
      const { stdout } = await sh(process.execPath, [script], project, {
        ISSUER: tessera.url,
        CLIENT_ID: client.client_id,
        CLIENT_SECRET: client.client_secret as string,
      });
      const out = JSON.parse(stdout.trim().split('\n').at(-1) as string);
      assert.deepEqual(out, {
        kind: script.startsWith('esm') ? 'esm' : 'cjs',
        clientId: 'packaged-consumer',
        scopes: ['event.view'],
        middleware: ['function', 'function', 'function'],
        version: '0.1.0',
      });
    });
  }

  for (const name of Object.keys(TS_CASES)) {
    it(`a TypeScript consumer type-checks with moduleResolution ${name}`, async () => {
      await sh(process.execPath, [TSC, '-p', `tsconfig.${name}.json`], project);
    });
  }
});

#!/usr/bin/env node
// `prepack` of @tessera/client and @tessera/verify (run by `npm pack` and
// `npm publish` in the package's directory): builds the package with the
// repository's TypeScript, then removes from dist/ whatever the current
// sources would not produce (source maps of earlier builds, files of deleted
// modules), so the tarball holds exactly the build of today's src/. Nothing
// is deleted that a current build emits, so tests reading dist/ meanwhile
// are not disturbed.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = process.cwd();
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', pkg], {
  stdio: 'inherit',
});

function walk(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const dist = join(pkg, 'dist');
for (const file of walk(dist)) {
  const rel = relative(dist, file);
  const stem = rel.replace(/(\.d\.ts|\.js)$/, '');
  const built = stem !== rel && !/\.test(-suite)?$/.test(stem) && !stem.startsWith('testing');
  if (!built || !existsSync(join(pkg, 'src', `${stem}.ts`))) {
    rmSync(file);
    console.error(`prepack: removed stale ${relative(pkg, file)}`);
  }
}

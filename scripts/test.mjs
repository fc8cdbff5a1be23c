#!/usr/bin/env node
// Runs every *.test.ts under packages/, e2e/ and examples/ with node's test
// runner (TypeScript through tsx). Node 20's --test takes no globs, so we list
// the files here. Extra arguments are passed on (e.g. a file to run alone).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) find(p, out);
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.some((a) => !a.startsWith('-'))
  ? []
  : ['packages', 'e2e', 'examples'].flatMap((d) => find(d)).sort();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...args, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);

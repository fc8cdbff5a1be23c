import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** One Node.js version story: every package's `engines` and the README say the same floor. */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const engines = (file: string) =>
  (JSON.parse(readFileSync(join(root, file), 'utf8')) as { engines: { node: string } }).engines.node;

it('the root, every package and the README give the same Node.js floor, and this Node meets it', () => {
  const floor = engines('package.json');
  assert.match(floor, /^>=\d+\.\d+$/);
  for (const pkg of ['server', 'client', 'verify']) assert.equal(engines(`packages/${pkg}/package.json`), floor, pkg);
  const version = floor.slice(2);
  assert.ok(readFileSync(join(root, 'README.md'), 'utf8').includes(`Node.js ${version} or later`), 'README');
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [runMajor = 0, runMinor = 0] = process.versions.node.split('.').map(Number);
  assert.ok(runMajor > major || (runMajor === major && runMinor >= minor), `${process.version} is below ${floor}`);
});

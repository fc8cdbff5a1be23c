import assert from 'node:assert/strict';
import { it } from 'node:test';
import { withinDepth } from './json-depth.js';

it('withinDepth measures nesting without recursion', () => {
  assert.equal(withinDepth('x', 0), true);
  assert.equal(withinDepth({ a: 1 }, 1), true);
  assert.equal(withinDepth({ a: { b: [1] } }, 2), false);
  assert.equal(withinDepth({ a: { b: [1] } }, 3), true);
  const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
  assert.equal(withinDepth(deep, 32), false);
});

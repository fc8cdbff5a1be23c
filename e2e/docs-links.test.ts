import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * No link in README.md or docs/*.md leaves the repository: every link is
 * relative and names a file (or directory) inside it. External references
 * are written into docs/ instead (docs/protocol.md holds the protocol).
 */

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

function markdownFiles(): string[] {
  return [
    'README.md',
    ...readdirSync(join(REPO, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
}

/** The link targets of a markdown text: inline links and images, reference definitions, autolinks; code excluded. */
function linkTargets(markdown: string): string[] {
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  const inline = [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] as string);
  const definitions = [...text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1] as string);
  const autolinks = [...text.matchAll(/<([a-z][a-z0-9+.-]*:[^>\s]+)>/gi)].map((m) => m[1] as string);
  const bare = [...text.matchAll(/(?<![(<])\bhttps?:\/\/[^\s)>]+/g)].map((m) => m[0]);
  return [...new Set([...inline, ...definitions, ...autolinks, ...bare])];
}

/** Why a link target breaks the rule, or undefined when it is a relative link to a file of the repository. */
function problem(file: string, target: string): string | undefined {
  if (target === '' || target.startsWith('#')) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return 'leaves the repository';
  if (target.startsWith('/')) return 'is absolute';
  const path = decodeURIComponent(target.replace(/[#?].*$/, ''));
  const full = resolve(REPO, dirname(file), path);
  const inside = relative(REPO, full);
  if (inside.startsWith('..') || inside === '' || resolve(REPO, inside) !== full)
    return 'points outside the repository';
  if (inside.split('/')[0] === 'node_modules') return 'points into node_modules';
  if (!existsSync(full)) return 'names no file';
  if (!statSync(full).isFile() && !statSync(full).isDirectory()) return 'names no file';
  return undefined;
}

describe('documentation links', () => {
  it('every link in README.md and docs/*.md is relative and resolves to a file in the repository', () => {
    const broken: string[] = [];
    let count = 0;
    for (const file of markdownFiles()) {
      for (const target of linkTargets(readFileSync(join(REPO, file), 'utf8'))) {
        count++;
        const why = problem(file, target);
        if (why) broken.push(`${file}: ${target} ${why}`);
      }
    }
    assert.ok(count >= 10, `only ${count} links found: the extraction is broken`);
    assert.deepEqual(broken, []);
  });

  it('the check catches what it should', () => {
    const found = linkTargets(
      '[a](../shared/CONTRACT.md) [b](https://example.com) <https://x.test>\n[c]: http://y.test\nsee https://z.test\n`[d](https://code.test)`',
    );
    assert.deepEqual(found, [
      '../shared/CONTRACT.md',
      'https://example.com',
      'http://y.test',
      'https://x.test',
      'https://z.test',
    ]);
    assert.equal(problem('README.md', '../shared/CONTRACT.md'), 'points outside the repository');
    assert.equal(problem('README.md', 'https://example.com'), 'leaves the repository');
    assert.equal(problem('README.md', '/etc/passwd'), 'is absolute');
    assert.equal(problem('README.md', 'docs/nope.md'), 'names no file');
    assert.equal(problem('docs/security.md', 'protocol.md#x'), undefined);
  });
});

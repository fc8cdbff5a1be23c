import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Every ```ts block of README.md and docs/*.md type-checks under the
 * repository's strict settings, as an ES module of this repository:
 * @tessera/client and @tessera/verify resolve to the workspace packages
 * (their built types; `npm test` builds first). The snippets are checked
 * in memory, never written into the repository.
 */

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Snippet {
  file: string;
  line: number;
  code: string;
}

function snippets(): Snippet[] {
  const files = [
    'README.md',
    ...readdirSync(join(REPO, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const out: Snippet[] = [];
  for (const file of files) {
    const text = readFileSync(join(REPO, file), 'utf8');
    for (const m of text.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```/gm)) {
      out.push({ file, line: text.slice(0, m.index).split('\n').length + 1, code: m[1] as string });
    }
  }
  return out;
}

function typeCheck(all: Snippet[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(REPO, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  assert.ok(config);
  const options: ts.CompilerOptions = { ...config.options, noEmit: true, strict: true };
  assert.equal(options.moduleResolution, ts.ModuleResolutionKind.NodeNext);
  // Each snippet is its own module, in a directory of the repository that does not exist on disk.
  const virtual = new Map(all.map((s, i) => [join(REPO, '.readme-snippets', `snippet-${i}.ts`), s]));
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => {
    const s = virtual.get(name);
    return s ? ts.createSourceFile(name, s.code, version) : getSourceFile(name, version, ...rest);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => virtual.has(name) || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => virtual.get(name)?.code ?? readFile(name);
  const program = ts.createProgram([...virtual.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const s = d.file && virtual.get(d.file.fileName);
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!s || !d.file || d.start === undefined) return `${d.file?.fileName ?? ''}: ${text}`;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${s.file}:${s.line + line}: TS${d.code} ${text}`;
  });
}

describe('README and docs TypeScript snippets', () => {
  it('type-check under strict, resolving @tessera/client and @tessera/verify from the workspace', () => {
    const all = snippets();
    assert.ok(all.filter((s) => s.file === 'README.md').length >= 2, 'README has ```ts snippets');
    assert.deepEqual(typeCheck(all), []);
  });

  it('a snippet with a type error fails the check (the check has teeth)', () => {
    const errors = typeCheck([
      {
        file: 'probe.md',
        line: 1,
        code: "import { createTokenClient } from '@tessera/client';\ncreateTokenClient({});\n",
      },
    ]);
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0] as string, /^probe\.md:2: TS2345/);
  });
});

/**
 * Just enough of the Dockerfile and .dockerignore formats to check Tessera's
 * image and replay its build without Docker (no registry is reachable to pull
 * a base image where the tests run): instructions with line continuations,
 * flags, exec (JSON) and shell forms, global ARGs in FROM, ENV pairs, stages.
 */

export interface Instruction {
  /** Upper-cased keyword: FROM, RUN, COPY, ENV… */
  keyword: string;
  /** `--name=value` flags before the arguments (`--from`, `--interval`…). */
  flags: Record<string, string>;
  /** The arguments as written, flags removed, continuations joined. */
  args: string;
  /** The exec form's array when the arguments are a JSON array of strings. */
  exec?: string[];
  /** 1-based line where the instruction starts. */
  line: number;
}

export interface Stage {
  /** `FROM image AS name`: the name, or the stage's index as a string. */
  name: string;
  /** The base image, global ARGs substituted. */
  image: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

/** Splits the text into instructions: comments and blank lines dropped, `\` continuations joined. */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '');
    const trimmed = raw.trim();
    // Comment lines may sit inside a continued instruction too; Docker drops them.
    if (trimmed.startsWith('#') || (trimmed === '' && pending === '')) continue;
    if (pending === '') start = i + 1;
    if (trimmed.endsWith('\\')) {
      pending += `${trimmed.slice(0, -1).trim()} `;
      continue;
    }
    pending += trimmed;
    if (pending.trim() !== '') out.push(parseInstruction(pending.trim(), start));
    pending = '';
  }
  if (pending.trim() !== '') out.push(parseInstruction(pending.trim(), start));
  return out;
}

function parseInstruction(text: string, line: number): Instruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(text);
  if (!m) throw new Error(`line ${line}: cannot parse ${JSON.stringify(text)}`);
  const keyword = (m[1] as string).toUpperCase();
  let rest = m[2] as string;
  const flags: Record<string, string> = {};
  for (;;) {
    const f = /^--([a-z-]+)=(\S*)\s*/.exec(rest);
    if (!f) break;
    flags[f[1] as string] = f[2] as string;
    rest = rest.slice(f[0].length);
  }
  const instruction: Instruction = { keyword, flags, args: rest, line };
  // HEALTHCHECK's command follows its own keyword: `HEALTHCHECK [flags] CMD …`.
  const execText = keyword === 'HEALTHCHECK' ? rest.replace(/^CMD\s+/, '') : rest;
  if (execText.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(execText);
      if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) instruction.exec = parsed;
    } catch {
      // Not JSON: Docker runs it in the shell form.
    }
  }
  return instruction;
}

/** Replaces $NAME and ${NAME} with values from `vars` (unknown names become empty, as in Docker). */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a, b) => vars[a ?? b] ?? '');
}

/** The stages of a Dockerfile, with the global ARGs they may use in FROM. */
export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions(text)) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: FROM ${ins.args}`);
      stages.push({
        name: m[2] ?? String(stages.length),
        image: substitute(m[1] as string, globalArgs),
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
      const [name, value = ''] = ins.args.split('=', 2) as [string, string?];
      globalArgs[name] = value;
    } else {
      (stages.at(-1) as Stage).instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

/** ENV's `KEY=value …` pairs (double quotes allowed) or its legacy `KEY value` form. */
export function envPairs(args: string): Record<string, string> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(args);
    if (!m) throw new Error(`ENV ${args}`);
    return { [m[1] as string]: m[2] as string };
  }
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const value = m[2] as string;
    out[m[1] as string] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
  }
  return out;
}

/**
 * A .dockerignore as a predicate on context-relative paths (`a/b/c`): a path
 * is left out when the last pattern matching it, or one of its parent
 * directories, is not a `!` exception. `**` spans directories, `*` and `?`
 * stay within one.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const pattern = (negated ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      return { negated, regex: globRegex(pattern) };
    });
  return (path: string) => {
    const parts = path.split('/');
    let ignored = false;
    for (const rule of rules) {
      for (let i = 1; i <= parts.length; i++) {
        if (rule.regex.test(parts.slice(0, i).join('/'))) {
          ignored = !rule.negated;
          break;
        }
      }
    }
    return ignored;
  };
}

function globRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (pattern.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      re += '.*';
      i += 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

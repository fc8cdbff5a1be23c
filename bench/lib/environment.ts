import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { SERVER_MAIN } from '../../e2e/support/tessera-process.js';

/** What a report says about where it ran and what it measured. */

export function machine(): Record<string, string> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    cpu: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown',
    cores: String(cpus().length),
    ram: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  };
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', cwd: import.meta.dirname }).trim();
  } catch {
    return 'unknown';
  }
}

/** The commit, whether the server's sources differ from it, and when the measured dist was built. */
export function tesseraBuild(): string {
  const dirty = git(['status', '--porcelain', '--', '../../packages/server'])
    ? ' (packages/server has local changes)'
    : '';
  return `${git(['rev-parse', '--short', 'HEAD'])}${dirty}; dist/main.js built ${statSync(SERVER_MAIN).mtime.toISOString()}`;
}

import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { processTree } from './proc.js';

/**
 * Every child the suite starts is registered here, so none outlives it:
 * on normal exit, on an error, and on Ctrl-C (SIGINT/SIGTERM). Each command
 * is also written down for the report.
 */

const live = new Set<ChildProcess>();
export const commandsRun: string[] = [];

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  // Children first (cluster workers), then the process itself; by pid only.
  for (const pid of processTree(child.pid).reverse()) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Spawns and records `command args`, with `shownEnv` (the settings that matter) in front. */
export function spawnTracked(
  command: string,
  args: string[],
  options: SpawnOptions,
  shownEnv: Record<string, string> = {},
): ChildProcess {
  const env = Object.entries(shownEnv).map(([k, v]) => `${k}=${/[\s"{&]/.test(v) ? `'${v}'` : v}`);
  commandsRun.push([...env, command, ...args].join(' '));
  const child = spawn(command, args, options);
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killTree(child, 'SIGTERM');
  const timer = setTimeout(() => killTree(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export function killAllNow(): void {
  for (const child of live) killTree(child, 'SIGKILL');
}

process.once('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping every child process\n`);
    killAllNow();
    process.exit(130);
  });
}

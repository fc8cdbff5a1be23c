import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnTracked } from './children.js';

/**
 * The library micro-benchmarks (bench/*.bench.ts), run as they are, each as
 * a child process pinned to one core, their output kept for the report.
 */

export interface MicroResult {
  file: string;
  seconds: number;
  output: string;
  failed: string | undefined;
}

const FILES = ['verify.bench.ts', 'client-get-token.bench.ts', 'federated-path.bench.ts'];

/**
 * Files run once more with arguments, where the file takes them (its source names the flag): the verifier's
 * status list rows (issue 30), which its plain run leaves out.
 */
const WITH_ARGS: readonly { file: string; args: string[] }[] = [{ file: 'verify.bench.ts', args: ['--status'] }];

function runOne(file: string, cpu: string, timeoutMs: number, args: string[] = []): Promise<MicroResult> {
  const path = join(import.meta.dirname, '..', file);
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawnTracked('taskset', ['-c', cpu, process.execPath, '--import', 'tsx', path, ...args], {
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (d: Buffer) => {
      if (output.length < 50_000) output += d;
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const done = (failed: string | undefined) => {
      clearTimeout(timer);
      resolve({
        file: [`bench/${file}`, ...args].join(' '),
        seconds: (performance.now() - start) / 1000,
        output: output.trim(),
        failed,
      });
    };
    child.once('error', (err) => done(err.message));
    child.once('exit', (code, signal) =>
      done(
        code === 0
          ? undefined
          : signal === 'SIGKILL'
            ? `timed out after ${timeoutMs / 1000} s`
            : `exited with ${code ?? signal}`,
      ),
    );
  });
}

/** Full runs go one after the other on core 0; smoke runs them side by side, one per core, after the load. */
export async function runMicroBenchmarks(smoke: boolean): Promise<MicroResult[]> {
  const source = (f: string) => {
    const path = join(import.meta.dirname, '..', f);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  };
  const present = [
    ...FILES.filter((f) => source(f) !== undefined).map((file) => ({ file, args: [] as string[] })),
    ...WITH_ARGS.filter((w) => w.args.every((a) => source(w.file)?.includes(`'${a}'`))),
  ];
  const timeoutMs = smoke ? 120_000 : 300_000;
  if (smoke) return Promise.all(present.map((m, i) => runOne(m.file, String(i % 2), timeoutMs, m.args)));
  const results: MicroResult[] = [];
  for (const m of present) results.push(await runOne(m.file, '0', timeoutMs, m.args));
  return results;
}

import { existsSync } from 'node:fs';
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

function runOne(file: string, cpu: string, timeoutMs: number): Promise<MicroResult> {
  const path = join(import.meta.dirname, '..', file);
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawnTracked('taskset', ['-c', cpu, process.execPath, '--import', 'tsx', path], {
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
      resolve({ file: `bench/${file}`, seconds: (performance.now() - start) / 1000, output: output.trim(), failed });
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
  const present = FILES.filter((f) => existsSync(join(import.meta.dirname, '..', f)));
  const timeoutMs = smoke ? 120_000 : 300_000;
  if (smoke) return Promise.all(present.map((f, i) => runOne(f, String(i % 2), timeoutMs)));
  const results: MicroResult[] = [];
  for (const f of present) results.push(await runOne(f, '0', timeoutMs));
  return results;
}

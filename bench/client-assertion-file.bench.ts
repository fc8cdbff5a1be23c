/**
 * What `clientAssertionFile` adds to a token request: one `stat` while the
 * projected token is unchanged, against reading it again (what a renewal by
 * the kubelet costs once). Token requests are rare (one per token lifetime
 * per audience + scope), so this is about not making them slower for nothing.
 *
 *   node --import tsx bench/client-assertion-file.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStandInIssuer } from '../e2e/support/stand-in-issuer.js';
import { fileAssertionSource } from '../packages/client/src/platform-assertion.js';

const ITERATIONS = 20_000;
const ROUNDS = 5;

const cluster = await startStandInIssuer({ kind: 'kubernetes' });
const dir = await mkdtemp(join(tmpdir(), 'bench-projected-'));
const projection = await cluster.project({
  dir,
  lifetimeSeconds: 3600,
  mint: () => cluster.serviceAccountToken({ namespace: 'apps', serviceAccount: 'task-service', audience: 'x' }),
});
const source = fileAssertionSource(projection.path, { now: () => Date.now() });
await source.get();

async function perCall(reread: boolean): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < ITERATIONS; i++) {
    if (reread) source.forget();
    await source.get();
  }
  return ((performance.now() - started) / ITERATIONS) * 1000;
}

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const unchanged: number[] = [];
const reread: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  unchanged.push(await perCall(false));
  reread.push(await perCall(true));
}
console.log(
  `unchanged token (one stat):          ${median(unchanged).toFixed(1)} µs per token request (median of ${ROUNDS})`,
);
console.log(
  `read again (stat, read, shape check): ${median(reread).toFixed(1)} µs per token request (median of ${ROUNDS})`,
);

projection.stop();
await cluster.close();
await rm(dir, { recursive: true, force: true });

/**
 * How soon a revocation reaches a subscribed verifier: a real Tessera
 * process (packages/server/dist/main.js, SQLite), one @tessera/verify
 * verifier subscribed to its status list events, and N revocations one
 * after another. For each: a new token, verified once (so it sits in the
 * verified-token cache, its list held), then revoked through the
 * revocation endpoint; the time runs from just before the revocation call
 * until `verifySync` (the cached path, no I/O) refuses the token,
 * polled every millisecond. Also the time from the revocation's answer.
 *
 *   npm run build && node --import tsx bench/status-revocation.bench.ts              # 1,000 revocations
 *   node --import tsx bench/status-revocation.bench.ts --count=100
 */

import { basicAuth, startTessera } from '../e2e/support/tessera-process.js';
import { createVerifier, VerifyError } from '../packages/verify/src/index.js';

const COUNT = Number(process.argv.find((a) => a.startsWith('--count='))?.slice(8) ?? 1000);
const TIMEOUT_MS = 5_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const tessera = await startTessera({ TESSERA_LOG_LEVEL: 'warn' });
  const verifier = createVerifier({ issuer: tessera.url, audience: 'calendar' });
  try {
    const meta = (await (await fetch(`${tessera.url}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      string
    >;
    const client = await tessera.createClient({ scope: 'event.view', audience: ['calendar'] });
    const authorization = basicAuth(client.client_id, client.client_secret);
    const form = { authorization, 'content-type': 'application/x-www-form-urlencoded' };
    const getToken = async () => {
      const r = await fetch(meta.token_endpoint as string, {
        method: 'POST',
        headers: form,
        body: 'grant_type=client_credentials&audience=calendar',
      });
      if (r.status !== 200) throw new Error(`token endpoint answered ${r.status}`);
      return ((await r.json()) as { access_token: string }).access_token;
    };
    await verifier.verify(await getToken());
    for (let i = 0; i < 2_000 && !verifier.statusEventsConnected; i++) await new Promise((r) => setTimeout(r, 5));
    if (!verifier.statusEventsConnected) throw new Error('the verifier did not subscribe');

    const fromCall: number[] = [];
    const fromAnswer: number[] = [];
    for (let i = 0; i < COUNT; i++) {
      const token = await getToken();
      await verifier.verify(token);
      if (!verifier.verifySync(token)) throw new Error('a fresh token needed I/O after its first verification');
      const start = performance.now();
      const revoked = fetch(meta.revocation_endpoint as string, {
        method: 'POST',
        headers: form,
        body: `token=${token}`,
      }).then((r) => {
        if (r.status !== 200) throw new Error(`revocation answered ${r.status}`);
        return performance.now();
      });
      for (;;) {
        try {
          verifier.verifySync(token);
        } catch (err) {
          if (!(err instanceof VerifyError) || err.code !== 'token_revoked') throw err;
          break;
        }
        if (performance.now() - start > TIMEOUT_MS) throw new Error(`revocation ${i} not seen in ${TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, 1));
      }
      const seen = performance.now();
      fromCall.push(seen - start);
      fromAnswer.push(Math.max(0, seen - (await revoked)));
    }
    const row = (label: string, values: number[]) => {
      const s = [...values].sort((a, b) => a - b);
      const f = (n: number) => `${n.toFixed(1)} ms`.padStart(9);
      console.log(
        `${label}  p50 ${f(percentile(s, 50))}  p90 ${f(percentile(s, 90))}  p99 ${f(percentile(s, 99))}  max ${f(s[s.length - 1] ?? Number.NaN)}`,
      );
    };
    console.log(
      `node ${process.version}, ${COUNT} revocations, one Tessera process (SQLite), one subscribed verifier, polled every 1 ms\n`,
    );
    row('revocation call sent → cached token refused ', fromCall);
    row('revocation answered  → cached token refused ', fromAnswer);
  } finally {
    verifier.close();
    await tessera.stop();
  }
}

await main();

import { writeFileSync } from 'node:fs';
import { platformToken, preparePlatformToken } from './federated.js';
import { BODY, type Target, type TesseraTarget } from './targets.js';

/**
 * Many federated clients (issue 28's goal: 100,000 at ≥ 0.9 × one), built on
 * bench/lib/federated.ts: its database of federated clients and its platform
 * tokens. Unlike the flow row there, every request here is a client picked
 * at random (as the growth cases pick one), so the identity index and the
 * client cache are read across all of them, not for one hot identity.
 */

const ASSERTION_TYPE = encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');

/**
 * Trusts the bench issuer on `t` (a server on a database of `count` federated clients, federatedDatabase), checks
 * the last client gets a token, and writes the token request of every client to `file`, one per line, for wrk to
 * pick from at random.
 */
export async function federatedClients(t: TesseraTarget, count: number, file: string): Promise<Target> {
  const checked = await preparePlatformToken(t, count - 1);
  const bodies: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    // The audience preparePlatformToken has the issuer trusted with.
    const { token } = await platformToken(i, 'tessera-bench');
    bodies[i] = `${BODY}&client_assertion_type=${ASSERTION_TYPE}&client_assertion=${token}`;
  }
  writeFileSync(file, `${bodies.join('\n')}\n`);
  await presentEachOnce(checked.tokenUrl, bodies);
  return { ...checked, creds: { bodyFile: file } };
}

/**
 * Every workload authenticates once before the measurement, as in steady state: a platform token is reused
 * for its whole life (minutes to an hour), so what 100,000 workloads cost per request is the identity index,
 * the client cache and a verified token remembered — not the first sight of each token (one signature check,
 * and the client's first status list block), which a 3 × 8 s run at random over 100,000 would mostly measure.
 */
async function presentEachOnce(tokenUrl: string, bodies: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++] as string;
      const r = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`federated warm-up: a platform token got ${r.status}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}

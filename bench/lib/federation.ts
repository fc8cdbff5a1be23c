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
  return { ...checked, creds: { bodyFile: file } };
}

import type { StoredClient } from '../clients/client.js';
import { single } from '../core/params.js';
import { InvalidClient } from '../errors/index.js';
import type { AuthRequest } from './authenticated-client.js';
import { assertionClientId, assertionMethod, readAssertionParams, verifyAssertion } from './client-assertion.js';
import type { ClientAuthDeps } from './deps.js';
import type { Presentation } from './method.js';

/**
 * RFC 7523 §2.2: a JWT in `client_assertion`. Its `alg` tells which of the
 * two assertion methods it is: HMAC for client_secret_jwt, else private_key_jwt.
 */
export function readAssertion(
  req: AuthRequest,
  method: 'private_key_jwt' | 'client_secret_jwt',
): Presentation<string> | undefined {
  const type = single(req.params, 'client_assertion_type');
  const param = single(req.params, 'client_assertion');
  if (type === undefined && param === undefined) return undefined;
  const assertion = readAssertionParams(type, param);
  if (assertionMethod(assertion) !== method) return undefined;
  return { clientId: assertionClientId(assertion), proof: assertion };
}

export async function checkAssertion(deps: ClientAuthDeps, client: StoredClient, assertion: string): Promise<void> {
  try {
    await verifyAssertion(client, assertion, { ...deps.assertion, nowMs: deps.now() });
  } catch (err) {
    // Counted against the client the assertion named (rate limits of failures).
    if (err instanceof InvalidClient) throw new InvalidClient(err.reason, err.kind, client.clientId);
    throw err;
  }
}

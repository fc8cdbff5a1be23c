import type { AuthMethod, StoredClient } from '../clients/client.js';
import { isClientId } from '../clients/client-metadata.js';
import type { ClientRegistry } from '../clients/client-registry.js';
import { single } from '../core/params.js';
import type { SecretHasher } from '../crypto/secret-hasher.js';
import { InvalidClient } from '../errors/index.js';
import { unknownClientIdForLog } from '../logging/redact-secrets.js';
import type { AuthenticatedClient, AuthRequest } from './authenticated-client.js';
import {
  type AssertionContext,
  assertionClientId,
  assertionMethod,
  readAssertionParams,
  verifyAssertion,
} from './client-assertion.js';
import { matchingSecret } from './client-secret.js';
import { parseBasic } from './client-secret-basic.js';
import type { SecretRehasher } from './rehash-secret.js';

export interface ClientAuthDeps {
  clients: ClientRegistry;
  hasher: SecretHasher;
  assertion: Omit<AssertionContext, 'nowMs'>;
  now: () => number;
  /** Only while the encryption key is being rotated: re-hashes secrets hashed under a previous key. */
  rehash?: SecretRehasher | undefined;
}

/** What a request presents: the method, the client it names, and its proof. */
type Presented =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; secrets: readonly string[] }
  | { method: 'private_key_jwt' | 'client_secret_jwt'; clientId: string; assertion: string };

/**
 * Authenticates the client of a token, introspection or revocation request
 * with exactly one method, the one it registered. Every failure is the same
 * `invalid_client` on the wire; the reason goes to the log.
 *
 * A secret checked against a cached client answers synchronously (no
 * promise): the token endpoint's steady state. A store read or an assertion
 * makes it a promise.
 */
export function authenticateClient(
  deps: ClientAuthDeps,
  req: AuthRequest,
): AuthenticatedClient | Promise<AuthenticatedClient> {
  const presented = readCredentials(req);
  const client = deps.clients.find(presented.clientId);
  return client instanceof Promise
    ? client.then((found) => checkCredentials(deps, presented, found))
    : checkCredentials(deps, presented, client);
}

/** The one method a request uses, read without touching the store. */
function readCredentials(req: AuthRequest): Presented {
  const { params } = req;
  const bodyId = single(params, 'client_id');
  const bodySecret = single(params, 'client_secret');
  const assertionType = single(params, 'client_assertion_type');
  const assertionParam = single(params, 'client_assertion');
  const basic = req.authorization ? parseBasic(req.authorization) : undefined;
  if (req.authorization && !basic) throw new InvalidClient('unsupported Authorization scheme', 'malformed');

  const used = [basic, bodySecret, assertionType ?? assertionParam].filter((m) => m !== undefined).length;
  if (used > 1) throw new InvalidClient('more than one client authentication method', 'multiple_methods');
  if (used === 0) {
    throw new InvalidClient(bodyId ? 'client_id without credentials' : 'no client authentication', 'no_credentials');
  }

  let presented: Presented;
  if (basic) {
    // The secret as sent too, for clients that did not form-encode it.
    const secrets = basic.rawSecret === basic.secret ? [basic.secret] : [basic.secret, basic.rawSecret];
    presented = { method: 'client_secret_basic', clientId: basic.clientId, secrets };
  } else if (bodySecret !== undefined) {
    if (!bodyId) throw new InvalidClient('client_secret without client_id', 'no_credentials');
    presented = { method: 'client_secret_post', clientId: bodyId, secrets: [bodySecret] };
  } else {
    const assertion = readAssertionParams(assertionType, assertionParam);
    presented = { method: assertionMethod(assertion), clientId: assertionClientId(assertion), assertion };
  }
  if (bodyId !== undefined && bodyId !== presented.clientId)
    throw new InvalidClient('client_id does not match the credentials', 'malformed');
  // Checked before any lookup: ids no client can have never reach the store or the log.
  if (!isClientId(presented.clientId)) throw new InvalidClient('malformed client_id', 'malformed');
  return presented;
}

function checkCredentials(
  deps: ClientAuthDeps,
  presented: Presented,
  client: StoredClient | undefined,
): AuthenticatedClient | Promise<AuthenticatedClient> {
  const { clientId, method } = presented;
  if (!client) throw new InvalidClient(`unknown client ${unknownClientIdForLog(clientId)}`, 'unknown_client');
  if (client.metadata.token_endpoint_auth_method !== method) {
    throw new InvalidClient(
      `client ${clientId} is registered for ${client.metadata.token_endpoint_auth_method}, not ${method}`,
      'wrong_method',
      clientId,
    );
  }
  if ('assertion' in presented) return checkAssertion(deps, client, presented.assertion, method);
  const now = deps.now();
  for (const secret of presented.secrets) {
    const matched = matchingSecret(deps.hasher, client, secret, now);
    if (matched) {
      deps.rehash?.afterMatch(clientId, matched, secret);
      return { client, method };
    }
  }
  throw new InvalidClient(`wrong secret for client ${clientId}`, 'wrong_secret', clientId);
}

async function checkAssertion(
  deps: ClientAuthDeps,
  client: StoredClient,
  assertion: string,
  method: AuthMethod,
): Promise<AuthenticatedClient> {
  try {
    await verifyAssertion(client, assertion, { ...deps.assertion, nowMs: deps.now() });
  } catch (err) {
    // Counted against the client the assertion named (rate limits of failures).
    if (err instanceof InvalidClient) throw new InvalidClient(err.reason, err.kind, client.clientId);
    throw err;
  }
  return { client, method };
}

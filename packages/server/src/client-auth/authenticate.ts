import type { AuthMethod, StoredClient } from '../clients/client.js';
import { isClientId } from '../clients/client-metadata.js';
import type { ClientRegistry } from '../clients/client-registry.js';
import { single } from '../core/params.js';
import type { SecretHasher } from '../crypto/secret-hasher.js';
import { InvalidClient } from '../errors/index.js';
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

/**
 * Authenticates the client of a token, introspection or revocation request
 * with exactly one method, the one it registered. Every failure is the same
 * `invalid_client` on the wire; the reason goes to the log.
 */
export async function authenticateClient(deps: ClientAuthDeps, req: AuthRequest): Promise<AuthenticatedClient> {
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

  const now = deps.now();
  if (basic) {
    const client = await lookup(deps, basic.clientId, bodyId, 'client_secret_basic');
    let secret = basic.secret;
    let matched = matchingSecret(deps.hasher, client, secret, now);
    if (!matched && basic.rawSecret !== basic.secret) {
      secret = basic.rawSecret;
      matched = matchingSecret(deps.hasher, client, secret, now);
    }
    if (!matched)
      throw new InvalidClient(`wrong secret for client ${client.clientId}`, 'wrong_secret', client.clientId);
    deps.rehash?.afterMatch(client.clientId, matched, secret);
    return { client, method: 'client_secret_basic' };
  }
  if (bodySecret !== undefined) {
    if (!bodyId) throw new InvalidClient('client_secret without client_id', 'no_credentials');
    const client = await lookup(deps, bodyId, bodyId, 'client_secret_post');
    const matched = matchingSecret(deps.hasher, client, bodySecret, now);
    if (!matched)
      throw new InvalidClient(`wrong secret for client ${client.clientId}`, 'wrong_secret', client.clientId);
    deps.rehash?.afterMatch(client.clientId, matched, bodySecret);
    return { client, method: 'client_secret_post' };
  }
  const assertion = readAssertionParams(assertionType, assertionParam);
  const method = assertionMethod(assertion);
  const client = await lookup(deps, assertionClientId(assertion), bodyId, method);
  try {
    await verifyAssertion(client, assertion, { ...deps.assertion, nowMs: now });
  } catch (err) {
    // Counted against the client the assertion named (rate limits of failures).
    if (err instanceof InvalidClient) throw new InvalidClient(err.reason, err.kind, client.clientId);
    throw err;
  }
  return { client, method };
}

async function lookup(
  deps: ClientAuthDeps,
  clientId: string,
  bodyId: string | undefined,
  method: AuthMethod,
): Promise<StoredClient> {
  if (bodyId !== undefined && bodyId !== clientId)
    throw new InvalidClient('client_id does not match the credentials', 'malformed');
  // Checked before any lookup: ids no client can have never reach the store or the log.
  if (!isClientId(clientId)) throw new InvalidClient('malformed client_id', 'malformed');
  const client = await deps.clients.get(clientId);
  if (!client) throw new InvalidClient(`unknown client ${clientId}`, 'unknown_client');
  if (client.metadata.token_endpoint_auth_method !== method) {
    throw new InvalidClient(
      `client ${clientId} is registered for ${client.metadata.token_endpoint_auth_method}, not ${method}`,
      'wrong_method',
      clientId,
    );
  }
  return client;
}

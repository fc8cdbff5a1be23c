import type { StoredClient } from '../clients/client.js';
import { isClientId } from '../clients/client-metadata.js';
import type { MaybePromise } from '../core/maybe-async.js';
import { single } from '../core/params.js';
import { InvalidClient } from '../errors/index.js';
import { unknownClientIdForLog } from '../logging/redact-secrets.js';
import type { AuthenticatedClient, AuthRequest } from './authenticated-client.js';
import type { ClientAuthDeps } from './deps.js';
import type { AuthMethod, Presentation } from './method.js';
import { AUTH_METHODS, authMethod, CARRIERS } from './registry.js';

export type { ClientAuthDeps } from './deps.js';

/**
 * Authenticates the client of a token, introspection or revocation request
 * with exactly one method: the one it registered, or one that method also
 * accepts. Every failure is the same `invalid_client` on the wire; the
 * reason goes to the log.
 *
 * A secret checked against a cached client answers synchronously (no
 * promise): the token endpoint's steady state. A store read or an assertion
 * makes it a promise.
 */
export function authenticateClient(deps: ClientAuthDeps, req: AuthRequest): MaybePromise<AuthenticatedClient> {
  const { method, presented } = readCredentials(deps, req);
  // Written out rather than with then(): no closure when the client is cached (the token endpoint's steady state).
  const client = deps.clients.find(presented.clientId);
  return client instanceof Promise
    ? client.then((found) => checkCredentials(deps, req, method, presented, found))
    : checkCredentials(deps, req, method, presented, client);
}

/** The one method a request uses, read without touching the store. */
function readCredentials(deps: ClientAuthDeps, req: AuthRequest): { method: AuthMethod; presented: Presentation } {
  const bodyId = single(req.params, 'client_id');
  let carried = 0;
  for (const carrier of CARRIERS) if (carrier.present(req)) carried++;
  if (carried > 1) throw new InvalidClient('more than one client authentication method', 'multiple_methods');
  let found: { method: AuthMethod; presented: Presentation } | undefined;
  for (const method of AUTH_METHODS as readonly AuthMethod[]) {
    const presented = method.read(req, deps);
    if (presented) {
      found = { method, presented };
      break;
    }
  }
  if (!found) {
    if (req.authorization !== undefined) throw new InvalidClient('unsupported Authorization scheme', 'malformed');
    throw new InvalidClient(bodyId ? 'client_id without credentials' : 'no client authentication', 'no_credentials');
  }
  const { clientId } = found.presented;
  if (bodyId !== undefined && bodyId !== clientId) {
    throw new InvalidClient('client_id does not match the credentials', 'malformed');
  }
  // Checked before any lookup: ids no client can have never reach the store or the log.
  if (!isClientId(clientId)) throw new InvalidClient('malformed client_id', 'malformed');
  return found;
}

function checkCredentials(
  deps: ClientAuthDeps,
  req: AuthRequest,
  readAs: AuthMethod,
  readPresented: Presentation,
  client: StoredClient | undefined,
): MaybePromise<AuthenticatedClient> {
  const { clientId } = readPresented;
  if (!client) throw new InvalidClient(`unknown client ${unknownClientIdForLog(clientId)}`, 'unknown_client');
  const registered = client.metadata.token_endpoint_auth_method;
  let method = readAs;
  let presented = readPresented;
  if (method.name !== registered && !authMethod(registered)?.alsoAccepts?.includes(method.name)) {
    // Methods that read a request alike (both certificate methods) are told apart by the one registered.
    const own = authMethod(registered);
    const again = own?.carrier === method.carrier ? own.read(req, deps) : undefined;
    if (!own || again?.clientId !== clientId) {
      throw new InvalidClient(
        `client ${clientId} is registered for ${registered}, not ${method.name}`,
        'wrong_method',
        clientId,
      );
    }
    method = own;
    presented = again;
  }
  const verified = method.verify(deps, client, presented.proof);
  const result: AuthenticatedClient = { client, method: method.name };
  if (!(verified instanceof Promise)) {
    deps.onAuthenticated?.(result.method);
    return result;
  }
  return verified.then(() => {
    deps.onAuthenticated?.(result.method);
    return result;
  });
}

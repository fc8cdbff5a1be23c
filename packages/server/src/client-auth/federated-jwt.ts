import type { ClaimedIdentity } from '../federation/platform-tokens.js';
import { CLIENT_ASSERTION_PARAMS } from './carriers.js';
import { PRIVATE_KEY_ALGS } from './client-assertion.js';
import { wrongDeps } from './deps.js';
import type { AuthMethod } from './method.js';

/**
 * A workload's platform token (a Kubernetes service-account token, a SPIFFE
 * JWT-SVID, a CI job's OIDC token) from a trusted issuer, as the client
 * assertion: no secret at all. The client lists the identities it accepts
 * in `federated_identities`; the checks are in federation/.
 */
export const federatedJwt = {
  name: 'federated_jwt',
  secret: 'none',
  keys: false,
  carrier: CLIENT_ASSERTION_PARAMS,
  signingAlgs: PRIVATE_KEY_ALGS,
  read: (req, deps) => deps.federation?.read(req),
  verify: (deps, client, claimed) => (deps.federation ?? wrongDeps('federation')).verify(client, claimed),
} as const satisfies AuthMethod<ClaimedIdentity>;

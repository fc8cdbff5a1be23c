import { checkAssertion, readAssertion } from './assertion-method.js';
import { CLIENT_ASSERTION_PARAMS } from './carriers.js';
import { SECRET_ALGS } from './client-assertion.js';
import type { AuthMethod } from './method.js';

/** RFC 7523: a JWT signed with HMAC under the client secret, which is therefore kept sealed, not hashed. */
export const clientSecretJwt = {
  name: 'client_secret_jwt',
  secret: 'sealed',
  keys: false,
  carrier: CLIENT_ASSERTION_PARAMS,
  signingAlgs: SECRET_ALGS,
  read: (req) => readAssertion(req, 'client_secret_jwt'),
  verify: checkAssertion,
} as const satisfies AuthMethod<string>;

import { checkAssertion, readAssertion } from './assertion-method.js';
import { CLIENT_ASSERTION_PARAMS } from './carriers.js';
import { PRIVATE_KEY_ALGS } from './client-assertion.js';
import type { AuthMethod } from './method.js';

/** RFC 7523: a JWT signed with a key from the client's `jwks` or `jwks_uri`. No secret is kept. */
export const privateKeyJwt = {
  name: 'private_key_jwt',
  secret: 'none',
  keys: true,
  carrier: CLIENT_ASSERTION_PARAMS,
  signingAlgs: PRIVATE_KEY_ALGS,
  read: (req) => readAssertion(req, 'private_key_jwt'),
  verify: checkAssertion,
} as const satisfies AuthMethod<string>;

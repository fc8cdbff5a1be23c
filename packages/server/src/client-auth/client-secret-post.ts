import { single } from '../core/params.js';
import { InvalidClient } from '../errors/index.js';
import { CLIENT_SECRET_PARAM } from './carriers.js';
import { verifySecrets } from './client-secret.js';
import type { AuthMethod } from './method.js';

/** RFC 6749 §2.3.1: `client_id` and `client_secret` in the request body. */
export const clientSecretPost = {
  name: 'client_secret_post',
  secret: 'hashed',
  keys: false,
  carrier: CLIENT_SECRET_PARAM,
  alsoAccepts: ['client_secret_basic'],
  read(req) {
    const secret = single(req.params, 'client_secret');
    if (secret === undefined) return undefined;
    const clientId = single(req.params, 'client_id');
    if (!clientId) throw new InvalidClient('client_secret without client_id', 'no_credentials');
    return { clientId, proof: [secret] };
  },
  verify: verifySecrets,
} as const satisfies AuthMethod<readonly string[]>;

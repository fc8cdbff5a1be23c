import { single } from '../core/params.js';
import type { AuthRequest } from './authenticated-client.js';

/**
 * Where a request carries a client credential. RFC 6749 §2.3 allows one
 * method per request, so two carriers present at once are refused, whatever
 * they hold. Methods presented the same way share one carrier (both JWT
 * assertion methods use client_assertion); a method carried somewhere new
 * brings its own carrier in its own file.
 */
export interface Carrier {
  readonly name: string;
  present(req: AuthRequest): boolean;
}

export const AUTHORIZATION_HEADER: Carrier = {
  name: 'Authorization header',
  present: (req) => req.authorization !== undefined,
};

export const CLIENT_SECRET_PARAM: Carrier = {
  name: 'client_secret',
  present: (req) => single(req.params, 'client_secret') !== undefined,
};

export const CLIENT_ASSERTION_PARAMS: Carrier = {
  name: 'client_assertion',
  present: (req) =>
    single(req.params, 'client_assertion_type') !== undefined || single(req.params, 'client_assertion') !== undefined,
};

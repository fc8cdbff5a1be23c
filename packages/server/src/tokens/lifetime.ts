import { InvalidRequest } from '../errors/index.js';
import type { GrantedToken } from './granted-token.js';

/**
 * Seconds from `iat` to the token's `exp`: its ttl, cut at `notAfter` (an
 * exchanged token never outlives its subject). The grant already cut the
 * ttl; cutting again here, at the second of issue, keeps `exp` within the
 * subject's even when the steps between crossed a second. One comparison
 * for a token without `notAfter`.
 */
export function lifetime(token: GrantedToken, iat: number): number {
  if (token.notAfter === undefined) return token.ttl;
  const left = token.notAfter - iat;
  // The subject expired while the request was on its way: nothing is issued.
  if (left < 1) throw new InvalidRequest('subject_token is not active');
  return Math.min(token.ttl, left);
}

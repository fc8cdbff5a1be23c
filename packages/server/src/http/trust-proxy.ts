import proxyAddr from '@fastify/proxy-addr';
import type { Config } from '../config/load-config.js';

/** Whether the address at `hop` (0: the immediate peer) is a proxy whose forwarded headers are believed. */
export type TrustProxy = (address: string, hop: number) => boolean;

/**
 * TESSERA_TRUST_PROXY as one function, with Fastify's own rules (its
 * lib/request.js getTrustProxyFn, on the same proxy-addr). Fastify is given
 * this function, so the one decision that sets the client address from
 * X-Forwarded-For also decides whether a proxy's client certificate header
 * is believed. A hop count trusts no immediate peer, as in Fastify: counting
 * hops cannot tell a proxy from a client that sends enough of them.
 * `false`: nothing is trusted, and Fastify skips the forwarded headers.
 */
export function trustProxyFunction(setting: Config['trustProxy']): TrustProxy | false {
  if (setting === false) return false;
  if (setting === true) return () => true;
  if (typeof setting === 'number') return () => false;
  return proxyAddr.compile(setting);
}

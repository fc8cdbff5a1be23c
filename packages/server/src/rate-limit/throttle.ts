import type { Logger } from 'pino';
import { RateLimited } from '../errors/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { WindowCounter } from './window-counter.js';

const WINDOW_MS = 60_000;

export interface ThrottleLimits {
  /** Token requests per client per minute, when the client sets none; 0: unlimited. */
  tokensPerMinute: number;
  /** Failed client authentications per source address per minute before further failures answer 429. */
  failuresPerAddress: number;
  /** Failed authentications per client id per minute before further failures answer 429. */
  failuresPerClient: number;
}

/**
 * Rate limits of the OAuth endpoints, designed so that a flood of wrong
 * secrets for one client neither locks the real client out nor slows anyone
 * else: over its failure budget, an address or a client id gets 429 (with
 * Retry-After) for further *failures*, while correct credentials always
 * succeed. Refusing an address outright would let one attacker behind a
 * shared proxy address lock every client out; brute force against 256-bit
 * secrets is hopeless anyway. Issuance is limited per client, and only for
 * clients that have a limit, so unlimited clients pay nothing.
 * Counters live in Redis when configured (shared by every node), else in
 * memory; while Redis is away each node counts alone (FallbackCounter). If
 * counting fails all the same, limits fail open: availability first.
 */
/** What each failure budget answers once spent. */
const REFUSALS = {
  address_failures: 'too many failed authentications from this address',
  client_failures: 'too many failed authentications for this client',
  admin_failures: 'too many wrong admin keys from this address',
} as const;

export class Throttle {
  constructor(
    private readonly counter: WindowCounter,
    private readonly limits: ThrottleLimits,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /** Counts a failed authentication; the 429 to answer instead, once over a budget. */
  async recordFailure(address: string, clientId: string | undefined, now: number): Promise<RateLimited | undefined> {
    try {
      // Loopback is this machine (its proxy, health checks, tooling): no address budget there.
      const byAddress = isLoopback(address)
        ? undefined
        : await this.#over(`fail:addr:${address}`, this.limits.failuresPerAddress, 'address_failures', now);
      if (byAddress) return byAddress;
      if (clientId === undefined) return undefined;
      return await this.#over(`fail:client:${clientId}`, this.limits.failuresPerClient, 'client_failures', now);
    } catch (err) {
      this.logger.warn({ err }, 'rate limit counters unavailable; not limiting');
    }
    return undefined;
  }

  /**
   * Counts a wrong admin key from `address`, apart from client failures but
   * on the same per-address budget; the 429 to answer instead once over it.
   * Only wrong keys are counted and refused: the right key is checked first
   * and always accepted, so a flood from a shared address cannot lock the
   * operator out.
   */
  async recordAdminFailure(address: string, now: number): Promise<RateLimited | undefined> {
    if (isLoopback(address)) return undefined;
    try {
      return await this.#over(`fail:admin:${address}`, this.limits.failuresPerAddress, 'admin_failures', now);
    } catch (err) {
      this.logger.warn({ err }, 'rate limit counters unavailable; not limiting');
    }
    return undefined;
  }

  /** Counts one more under `key`; past `limit` in the window, the 429 to answer (and a metric by `label`). */
  async #over(key: string, limit: number, label: keyof typeof REFUSALS, now: number): Promise<RateLimited | undefined> {
    const used = await this.counter.hit(key, WINDOW_MS, now);
    if (used.count <= limit) return undefined;
    this.metrics.limited(label);
    return new RateLimited(REFUSALS[label], used.resetAt - now);
  }

  /** A client's token issuance limit per minute: its own, else the server default; 0: none. */
  issuanceLimit(clientLimit: number | undefined): number {
    return clientLimit ?? this.limits.tokensPerMinute;
  }

  /** Counts one token request against `limit` (> 0) and refuses it past the limit. */
  async checkIssuance(clientId: string, limit: number, now: number): Promise<void> {
    let used: { count: number; resetAt: number };
    try {
      used = await this.counter.hit(`issue:${clientId}`, WINDOW_MS, now);
    } catch (err) {
      this.logger.warn({ err }, 'rate limit counters unavailable; not limiting');
      return;
    }
    if (used.count > limit) {
      this.metrics.limited('issuance');
      throw new RateLimited(`more than ${limit} token requests per minute for this client`, used.resetAt - now);
    }
  }
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

import type { JWK } from 'jose';
import type { Logger } from 'pino';
import type { SigningKeys } from './signing-keys.js';

const DAY_MS = 24 * 3600 * 1000;
/** How often each node looks at the schedule. */
const CHECK_EVERY_MS = 60_000;

/**
 * Scheduled signing-key rotation (TESSERA_KEY_ROTATION_DAYS), in three phases:
 * 1. a day before the current key has signed for a full period (half a period
 *    for periods under two days), the next key is published in the JWKS but
 *    does not sign yet, so verifiers holding a cached JWKS already know it;
 * 2. at its activation it signs (SigningKeys switches by the clock, no store read);
 * 3. the old key stays published until the last token it signed has expired.
 * Several nodes may each publish a next key in the same minute: harmless,
 * the newest activation signs.
 */
export class KeyRotationSchedule {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly keys: SigningKeys,
    private readonly periodMs: number,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.periodMs === 0) return;
    const check = () => {
      this.tick().catch((err: unknown) => this.logger.warn({ err }, 'scheduled key rotation failed; retrying'));
    };
    check();
    this.#timer = setInterval(check, CHECK_EVERY_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Publishes the next key when it is due; returns it, or undefined when nothing was due. */
  async tick(): Promise<JWK | undefined> {
    if (this.periodMs === 0 || this.keys.hasScheduledKey()) return undefined;
    const current = this.keys.signingSince();
    if (!current) return undefined;
    const lead = Math.min(DAY_MS, this.periodMs / 2);
    const due = current.activatesAt + this.periodMs;
    const now = this.now();
    if (now < due - lead) return undefined;
    const activatesAt = Math.max(due, now + lead);
    const jwk = await this.keys.rotate(activatesAt);
    this.logger.info(
      { kid: jwk.kid, activatesAt: new Date(activatesAt).toISOString(), audit: 'keys.schedule' },
      'next signing key published',
    );
    return jwk;
  }
}

/**
 * When the signing key next changes (ms): a published next key's activation,
 * else when the schedule will make one sign (the current key's start plus a
 * period), else never (null: rotation only by hand).
 */
export function nextRotationAt(keys: SigningKeys, periodMs: number, now: number): number | null {
  let next = Number.POSITIVE_INFINITY;
  for (const k of keys.list()) if (k.activatesAt > now) next = Math.min(next, k.activatesAt);
  if (next !== Number.POSITIVE_INFINITY) return next;
  const current = keys.signingSince();
  return periodMs === 0 || !current ? null : Math.max(current.activatesAt + periodMs, now);
}

import type { Logger } from 'pino';
import type { ActivityStore, AuditStore } from '../store/types.js';

const DAY_MS = 24 * 3600 * 1000;
/** Activity counts are charted over a day at most: two days are kept. */
export const ACTIVITY_RETENTION_MS = 2 * DAY_MS;
/** How often old audit entries and activity counts are purged. */
const PURGE_INTERVAL_MS = 3600 * 1000;
/** The first purge waits a random part of this after start, so nodes started together spread out. */
const FIRST_PURGE_SPREAD_MS = 60_000;

/**
 * Deletes audit entries older than TESSERA_AUDIT_RETENTION_DAYS (0 keeps
 * them) and activity counts older than two days, once an hour, off the
 * request path. Every process runs it: the deletes are by time, so purges
 * on several nodes at once each remove what is left, and none errs.
 */
export class HistoryRetention {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(
    private readonly store: AuditStore & ActivityStore,
    private readonly auditRetentionDays: number,
    private readonly now: () => number,
    private readonly logger?: Pick<Logger, 'info' | 'warn'>,
  ) {}

  start(): void {
    const schedule = (ms: number) => {
      this.#timer = setTimeout(() => {
        this.#running = this.purge().catch((err: unknown) =>
          this.logger?.warn({ err }, 'purging old audit entries and activity counts failed; tried again in an hour'),
        );
        schedule(PURGE_INTERVAL_MS);
      }, ms);
      this.#timer.unref();
    };
    schedule(Math.random() * FIRST_PURGE_SPREAD_MS);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Purges now; returns how many audit entries and activity counts went. */
  async purge(): Promise<{ audit: number; activity: number }> {
    const now = this.now();
    const audit = this.auditRetentionDays > 0 ? await this.store.purgeAudit(now - this.auditRetentionDays * DAY_MS) : 0;
    const activity = await this.store.purgeActivity(now - ACTIVITY_RETENTION_MS);
    if (audit > 0) this.logger?.info({ entries: audit, days: this.auditRetentionDays }, 'purged old audit entries');
    return { audit, activity };
  }
}

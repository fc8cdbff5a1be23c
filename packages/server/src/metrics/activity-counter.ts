import type { Logger } from 'pino';
import type { AuthFailureKind } from '../errors/index.js';
import type { ActivityCount, ActivityKind, ActivityStore } from '../store/types.js';

/** Counts are kept, and stored, per minute. */
export const ACTIVITY_MINUTE_MS = 60_000;
/** Distinct clients one process counts apart in one minute; later ones count under OTHER_CLIENTS. */
export const MAX_CLIENTS_PER_MINUTE = 1000;
/** Where the clients past MAX_CLIENTS_PER_MINUTE are counted (not a UUID: no generated id can take it). */
export const OTHER_CLIENTS = '(other)';
/** Counts the store refused are kept for the next write, up to this many (then the oldest go). */
const MAX_UNSAVED = 100_000;
/** Processes write at a random moment within this much of the minute's start, not all at once. */
const WRITE_SPREAD_MS = 5000;

interface Tally {
  n: number;
}

/**
 * Tokens issued per client and failed client authentications per reason,
 * for the console's activity charts (GET /admin/activity).
 *
 * On the hot path a count is one Map lookup and an increment: no clock, no
 * store. At each minute's start the minute's counts are set aside, and
 * written at a random moment of the next few seconds in one upsert-add
 * (ActivityStore.addActivity): one write per process per minute, and
 * workers and nodes sharing the store add up there. Times come from the
 * server's clock; the minute boundaries from the wall clock's timers.
 */
export class ActivityCounter {
  #issued = new Map<string, Tally>();
  #failures = new Map<string, Tally>();
  /** Start of the minute the maps above count (when they were last set aside). */
  #minute: number;
  /** Counts set aside, not yet in the store. */
  #unsaved: ActivityCount[] = [];
  /** Writes and reads, one at a time: a read never finds a count both in the store and still here. */
  #queue: Promise<unknown> = Promise.resolve();
  #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(
    private readonly store: ActivityStore,
    private readonly now: () => number,
    private readonly logger?: Pick<Logger, 'warn'>,
  ) {
    this.#minute = minuteOf(now());
  }

  tokenIssued(clientId: string): void {
    const tally = this.#issued.get(clientId);
    if (tally !== undefined) tally.n++;
    else this.#firstOf(clientId);
  }

  authFailed(reason: AuthFailureKind): void {
    const tally = this.#failures.get(reason);
    if (tally !== undefined) tally.n++;
    else this.#failures.set(reason, { n: 1 });
  }

  #firstOf(clientId: string): void {
    if (this.#issued.size < MAX_CLIENTS_PER_MINUTE) {
      this.#issued.set(clientId, { n: 1 });
      return;
    }
    const other = this.#issued.get(OTHER_CLIENTS);
    if (other) other.n++;
    else this.#issued.set(OTHER_CLIENTS, { n: 1 });
  }

  /** Sets a minute's counts aside and writes them at each minute's start, until stop(). */
  start(): void {
    const next = () => {
      const wall = Date.now();
      this.#after(ACTIVITY_MINUTE_MS - (wall % ACTIVITY_MINUTE_MS), () => {
        this.#setAside();
        this.#after(Math.random() * WRITE_SPREAD_MS, () => void this.flush());
        next();
      });
    };
    next();
  }

  /** Stops the timers and writes what is counted (at shutdown). */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await this.flush();
  }

  /** Writes every count so far to the store; counts it refuses are kept for the next write. */
  flush(): Promise<void> {
    return this.#serially(async () => {
      this.#setAside();
      if (this.#unsaved.length === 0) return;
      const counts = this.#unsaved;
      this.#unsaved = [];
      try {
        await this.store.addActivity(counts);
      } catch (err) {
        this.#unsaved = [...counts, ...this.#unsaved].slice(-MAX_UNSAVED);
        this.logger?.warn({ err }, 'writing the activity counts failed; kept for the next minute');
      }
    });
  }

  /**
   * Every count from `since` on, bucketed by `bucketMs`: the store's (every
   * process's written minutes) and this process's own not yet written. A
   * (start, kind, key) may come more than once: the caller adds them up.
   */
  read(since: number, bucketMs: number): Promise<ActivityCount[]> {
    return this.#serially(async () => {
      const counts = await this.store.listActivity(since, bucketMs);
      for (const c of [...this.#unsaved, ...this.#current()]) {
        if (c.start >= since) counts.push({ ...c, start: Math.floor(c.start / bucketMs) * bucketMs });
      }
      return counts;
    });
  }

  #setAside(): void {
    const current = this.#current();
    this.#minute = minuteOf(this.now());
    if (current.length === 0) return;
    this.#issued = new Map();
    this.#failures = new Map();
    this.#unsaved.push(...current);
  }

  #current(): ActivityCount[] {
    const start = this.#minute;
    const out: ActivityCount[] = [];
    const add = (kind: ActivityKind, tallies: Map<string, Tally>) => {
      for (const [key, { n }] of tallies) out.push({ start, kind, key, n });
    };
    add('issued', this.#issued);
    add('failure', this.#failures);
    return out;
  }

  #serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  #after(ms: number, fn: () => void): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }
}

export function minuteOf(ms: number): number {
  return Math.floor(ms / ACTIVITY_MINUTE_MS) * ACTIVITY_MINUTE_MS;
}

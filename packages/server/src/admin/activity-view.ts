import { InvalidRequest } from '../errors/index.js';
import type { ActivityCount } from '../store/types.js';

export type ActivityRange = 'hour' | 'day';

/** Each range: buckets of this length, this many, the last one running now. */
const RANGES: Readonly<Record<ActivityRange, { bucketMs: number; buckets: number }>> = {
  hour: { bucketMs: 60_000, buckets: 60 },
  day: { bucketMs: 3_600_000, buckets: 24 },
};

export interface ActivityBucket {
  start: string;
  issued: Record<string, number>;
  failures: Record<string, number>;
}

export interface ActivityAnswer {
  range: ActivityRange;
  bucket_seconds: number;
  buckets: ActivityBucket[];
}

/** `range`: hour (the default) or day; anything else 400. */
export function readRange(query: Record<string, unknown>): ActivityRange {
  const { range } = query;
  if (range === undefined || range === '') return 'hour';
  if (range === 'hour' || range === 'day') return range;
  throw new InvalidRequest('range must be hour or day');
}

/** Where a range's first bucket starts, and how long buckets are, at `now`. */
export function rangeWindow(range: ActivityRange, now: number): { since: number; bucketMs: number } {
  const { bucketMs, buckets } = RANGES[range];
  return { since: Math.floor(now / bucketMs) * bucketMs - (buckets - 1) * bucketMs, bucketMs };
}

/**
 * Every bucket of the range, oldest first, with the counts summed into it.
 * Counts outside the range (another node's clock ahead of ours) are left out.
 * The count objects have no prototype: a client may be called `__proto__`.
 */
export function activityAnswer(range: ActivityRange, now: number, counts: readonly ActivityCount[]): ActivityAnswer {
  const { since, bucketMs } = rangeWindow(range, now);
  const buckets = Array.from({ length: RANGES[range].buckets }, () => ({
    issued: Object.create(null) as Record<string, number>,
    failures: Object.create(null) as Record<string, number>,
  }));
  for (const c of counts) {
    const bucket = buckets[Math.floor((c.start - since) / bucketMs)];
    if (!bucket || c.start < since || c.n <= 0) continue;
    const sums = c.kind === 'issued' ? bucket.issued : bucket.failures;
    sums[c.key] = (sums[c.key] ?? 0) + c.n;
  }
  return {
    range,
    bucket_seconds: bucketMs / 1000,
    buckets: buckets.map((b, i) => ({ start: new Date(since + i * bucketMs).toISOString(), ...b })),
  };
}

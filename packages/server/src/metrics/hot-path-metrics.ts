import type { Counter, Metric, Registry } from 'prom-client';

/**
 * Metrics recorded on every token request, at the cost of one Map lookup.
 * prom-client validates and hashes the label object on every observe() and
 * inc(), even through labels(): a few hundred nanoseconds per request on the
 * hot path. Here a label set is resolved once; scrapes see exactly what
 * prom-client's own metrics would show, so the exposition and the cluster
 * aggregation are unchanged.
 */

/** One label set of a histogram: cumulative counts are computed at scrape time. */
export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        this.counts[i] = (this.counts[i] as number) + 1;
        return;
      }
    }
  }
}

/** A histogram registered in a prom-client Registry; series are created once per label set. */
export class LabelledHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series for `key`, made from `labels()` the first time: keys must name a small, fixed set. */
  series(key: string, labels: () => Record<string, string>): HistogramSeries {
    let s = this.#series.get(key);
    if (!s) {
      s = new HistogramSeries(labels(), this.bounds);
      this.#series.set(key, s);
    }
    return s;
  }

  /** prom-client's histogram get() shape: `_bucket` (cumulative, with `le`), `_sum`, `_count`. */
  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.#series.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i] as number;
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.#series.clear();
  }
}

/**
 * Increments of a prom-client Counter gathered in a Map and handed over at
 * scrape time (from the counter's collect()), so inc() on the hot path costs
 * one lookup.
 */
export class BufferedCounts<L extends string> {
  readonly #pending = new Map<string, { labels: Record<L, string>; n: number }>();

  add(key: string, labels: () => Record<L, string>): void {
    const entry = this.#pending.get(key);
    if (entry) entry.n++;
    else this.#pending.set(key, { labels: labels(), n: 1 });
  }

  flushInto(counter: Counter<L>): void {
    for (const { labels, n } of this.#pending.values()) if (n > 0) counter.inc(labels, n);
    // Entries are kept (at zero) so a label set is resolved only once.
    for (const entry of this.#pending.values()) entry.n = 0;
  }
}

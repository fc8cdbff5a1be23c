import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { AuthFailureKind } from '../errors/index.js';
import type { Store } from '../store/types.js';
import { BufferedCounts, LabelledHistogram } from './hot-path-metrics.js';

/**
 * Distinct client ids kept as label values; later ones count under `other`,
 * so a registry of 100,000 clients cannot blow up the metrics' memory.
 */
const MAX_CLIENT_LABELS = 1000;

/** Prometheus metrics of one process (prom-client). */
export class Metrics {
  readonly registry = new Registry();
  readonly #clientLabels = new Set<string>();

  readonly #issued = new BufferedCounts<'client_id' | 'alg' | 'format'>();

  readonly tokensIssued: Counter<'client_id' | 'alg' | 'format'> = new Counter({
    name: 'tessera_tokens_issued_total',
    help: 'Access tokens issued, by client, signing algorithm and format.',
    labelNames: ['client_id', 'alg', 'format'] as const,
    registers: [this.registry],
    collect: (): void => this.#issued.flushInto(this.tokensIssued),
  });

  readonly authFailures = new Counter({
    name: 'tessera_client_auth_failures_total',
    help: 'Failed client authentications, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly #authenticated = new BufferedCounts<'method'>();

  readonly authentications: Counter<'method'> = new Counter({
    name: 'tessera_client_authentications_total',
    help: 'Successful client authentications, by method.',
    labelNames: ['method'] as const,
    registers: [this.registry],
    collect: (): void => this.#authenticated.flushInto(this.authentications),
  });

  readonly rateLimited = new Counter({
    name: 'tessera_rate_limited_total',
    help: 'Requests answered 429, by limit.',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly requestDuration = new LabelledHistogram(
    'tessera_http_request_duration_seconds',
    'HTTP request latency, by route and outcome (2xx, 4xx, 5xx).',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    this.registry,
  );

  readonly storeDuration = new LabelledHistogram(
    'tessera_store_operation_duration_seconds',
    'Latency of store operations, by operation and outcome.',
    [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
    this.registry,
  );

  /**
   * `enabled` false (TESSERA_METRICS=false): nothing is recorded and no
   * process collectors run, so metrics cost the hot path nothing.
   */
  constructor(
    publishedKeys: () => number,
    readonly enabled = true,
  ) {
    if (!enabled) return;
    new Gauge({
      name: 'tessera_jwks_keys',
      help: 'Public keys published in the JWKS.',
      registers: [this.registry],
      collect() {
        this.set(publishedKeys());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'tessera_' });
  }

  observeRequest(route: string, method: string, status: number, elapsedMs: number): void {
    if (!this.enabled) return;
    const outcome = status >= 500 ? '5xx' : status >= 400 ? '4xx' : status >= 300 ? '3xx' : '2xx';
    // Routes are the registered ones (or 'unmatched'): a small, fixed set of series.
    this.requestDuration.series(route, method, outcome, () => ({ route, method, outcome })).observe(elapsedMs / 1000);
  }

  tokenIssued(clientId: string, alg: string, format: string): void {
    if (!this.enabled) return;
    let label = clientId;
    if (!this.#clientLabels.has(clientId)) {
      if (this.#clientLabels.size < MAX_CLIENT_LABELS) this.#clientLabels.add(clientId);
      else label = 'other';
    }
    this.#issued.add(label, alg, format, () => ({ client_id: label, alg, format }));
  }

  limited(limit: 'address_failures' | 'admin_failures' | 'client_failures' | 'issuance'): void {
    if (this.enabled) this.rateLimited.inc({ limit });
  }

  /** Methods are the registry's: a small, fixed set of series. */
  authenticated(method: string): void {
    if (!this.enabled) return;
    this.#authenticated.add(method, '', '', () => ({ method }));
  }

  authFailed(kind: AuthFailureKind): void {
    if (!this.enabled) return;
    this.authFailures.inc({ reason: kind });
  }
}

/**
 * The store, with every operation timed. A Proxy keeps this out of every
 * backend: the store interface is measured once, here.
 */
export function timedStore(store: Store, metrics: Metrics): Store {
  if (!metrics.enabled) return store;
  // One timed wrapper per operation, made on first use rather than on every property access.
  const timed = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'constructor') return value;
      let wrapper = timed.get(property);
      if (!wrapper) {
        wrapper = timeOperation(metrics, String(property), (args) => value.apply(target, args));
        timed.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

function timeOperation(metrics: Metrics, operation: string, call: (args: unknown[]) => Promise<unknown>) {
  const observe = (outcome: 'ok' | 'error', started: number) =>
    metrics.storeDuration
      .series(operation, outcome, '', () => ({ operation, outcome }))
      .observe((performance.now() - started) / 1000);
  return async (...args: unknown[]) => {
    const started = performance.now();
    try {
      const result = await call(args);
      observe('ok', started);
      return result;
    } catch (err) {
      observe('error', started);
      throw err;
    }
  };
}

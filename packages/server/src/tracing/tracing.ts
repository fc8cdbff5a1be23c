import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { TracingSettings } from './settings.js';

/**
 * Tracing as the rest of the server sees it. This module imports nothing of
 * OpenTelemetry: the SDK lives in otel.ts, loaded by a dynamic import() only
 * when tracing is on. Off (the default), `tracing` stays null, no hook or
 * wrapper is installed, and the few call sites on the hot path test that
 * one binding.
 */
export type AttributeValue = string | number | boolean;

/** What is known of an HTTP request when it arrives; never its query, headers or body. */
export interface RequestFacts {
  method: string;
  /** The matched route (`/admin/clients/:id`); undefined when no route matched. */
  route: string | undefined;
  /** The path without the query; undefined when no route matched (an unmatched path may hold anything). */
  path: string | undefined;
  scheme: string;
  clientAddress: string;
  httpVersion: string;
}

/** The span of one HTTP request. */
export interface RequestTrace {
  /** Runs `fn` with this request's span as the active one: store calls made from there become its children. */
  run(fn: () => void): void;
  set(name: string, value: AttributeValue): void;
  /** Ends the span with the response's status code (5xx marks it failed). */
  end(statusCode: number): void;
  /** Ends the span of a request the client gave up on. */
  abort(): void;
}

/** The span of one call to a backing service (the store, Redis). */
export interface CallTrace {
  end(error?: unknown): void;
}

export interface Tracing {
  /** A server span for a request, in the caller's trace when it sent W3C trace context. */
  startRequest(facts: RequestFacts, headers: IncomingHttpHeaders): RequestTrace;
  /**
   * A client span for a call made while a request is traced; undefined
   * outside a request (purges, cache fills), whose calls are not traced.
   */
  startCall(system: string, operation: string): CallTrace | undefined;
  /** Sets an attribute on the active request's span, if a request is traced. */
  annotate(name: string, value: AttributeValue): void;
  /** A line for the start-up log: where spans go, never a header or a credential. */
  describe(): Record<string, unknown>;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

/** The process's tracing: null while off. Set once, by startTracing. */
export let tracing: Tracing | null = null;

export type TracingLoader = () => Promise<{
  createTracing(settings: TracingSettings, logger: Logger): Promise<Tracing>;
}>;

const loadSdk: TracingLoader = () => import('./otel.js');

/**
 * Starts tracing when `settings` says so (readTracingSettings), loading the
 * SDK only then. Each serving process calls it once: cluster workers each
 * run their own SDK. `load` is for tests.
 */
export async function startTracing(
  settings: TracingSettings | undefined,
  logger: Logger,
  load: TracingLoader = loadSdk,
): Promise<Tracing | null> {
  if (settings === undefined) return null;
  tracing = await (await load()).createTracing(settings, logger);
  return tracing;
}

/** How long shutdown waits for the last spans to reach the collector. */
const SHUTDOWN_WAIT_MS = 3000;

/** Flushes and stops tracing, if it is on; a collector that does not answer delays exit by SHUTDOWN_WAIT_MS at most. */
export async function shutdownTracing(logger: Logger): Promise<void> {
  const current = tracing;
  if (current === null) return;
  tracing = null;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      logger.warn('the trace collector did not take the last spans in time');
      resolve();
    }, SHUTDOWN_WAIT_MS);
  });
  try {
    await Promise.race([current.shutdown(), late]);
  } catch (err) {
    logger.warn({ err }, 'flushing traces failed');
  } finally {
    clearTimeout(timer);
  }
}

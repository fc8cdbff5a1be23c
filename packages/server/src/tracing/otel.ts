import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  type Context,
  type DiagLogger,
  DiagLogLevel,
  defaultTextMapGetter,
  diag,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVICE_NAME,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import { ATTR } from './attributes.js';
import type { TracingSettings } from './settings.js';
import type { AttributeValue, CallTrace, RequestFacts, RequestTrace, Tracing } from './tracing.js';

/**
 * The OpenTelemetry SDK, wired by hand: loaded only when tracing is on
 * (tracing.ts). Spans are made by Tessera's own code (http/tracing-hooks.ts,
 * traced-calls.ts), not by auto-instrumentation: the instrumentation
 * packages patch node:http, Fastify, pg and ioredis on every call, for every
 * request, whether sampled or not. Nothing here is registered globally: the
 * tracer, the context manager and the propagator are this module's own.
 */
export async function createTracing(settings: TracingSettings, logger: Logger): Promise<Tracing> {
  // The SDK reports export failures through diag; without a logger they would vanish.
  diag.setLogger(diagToLog(logger), DiagLogLevel.WARN);
  const exporter = await exporterFor(settings);
  const provider = new BasicTracerProvider({
    resource: defaultResource()
      .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'tessera', 'service.instance.id': randomUUID() }))
      // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults above.
      .merge(detectResources({ detectors: [envDetector] })),
    sampler: samplerFor(settings),
    spanProcessors: [
      settings.exporter === 'console' ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter),
    ],
  });
  const contexts = new AsyncLocalStorageContextManager().enable();
  return new OtelTracing(
    provider,
    provider.getTracer('tessera'),
    contexts,
    settings.propagate ? new W3CTraceContextPropagator() : undefined,
    settings,
  );
}

async function exporterFor(settings: TracingSettings): Promise<SpanExporter> {
  if (settings.exporter === 'console') return new ConsoleSpanExporter();
  // Headers, timeout and compression come from OTEL_EXPORTER_OTLP_* through the exporter itself.
  const { OTLPTraceExporter } =
    settings.protocol === 'http/json'
      ? await import('@opentelemetry/exporter-trace-otlp-http')
      : await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url: settings.url });
}

function samplerFor({ sampler, ratio }: TracingSettings): Sampler {
  switch (sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

function diagToLog(logger: Logger): DiagLogger {
  const ignore = () => {};
  return {
    error: (message) => logger.warn({ otel: message }, 'tracing'),
    warn: (message) => logger.warn({ otel: message }, 'tracing'),
    info: ignore,
    debug: ignore,
    verbose: ignore,
  };
}

class OtelTracing implements Tracing {
  constructor(
    private readonly provider: BasicTracerProvider,
    private readonly tracer: Tracer,
    private readonly contexts: AsyncLocalStorageContextManager,
    private readonly propagator: W3CTraceContextPropagator | undefined,
    private readonly settings: TracingSettings,
  ) {}

  startRequest(facts: RequestFacts, headers: IncomingHttpHeaders): RequestTrace {
    const parent =
      this.propagator && headers.traceparent !== undefined
        ? this.propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter)
        : ROOT_CONTEXT;
    const attributes: Record<string, AttributeValue> = {
      [ATTR_HTTP_REQUEST_METHOD]: facts.method,
      [ATTR_URL_SCHEME]: facts.scheme,
      [ATTR_CLIENT_ADDRESS]: facts.clientAddress,
      [ATTR_NETWORK_PROTOCOL_VERSION]: facts.httpVersion,
    };
    if (facts.route !== undefined) attributes[ATTR_HTTP_ROUTE] = facts.route;
    if (facts.path !== undefined) attributes[ATTR_URL_PATH] = facts.path;
    // The semantic conventions' name: method and route, never the raw path (unbounded, and it may hold anything).
    const name = facts.route === undefined ? facts.method : `${facts.method} ${facts.route}`;
    const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
    return new OtelRequestTrace(span, trace.setSpan(parent, span), this.contexts);
  }

  startCall(system: string, operation: string): CallTrace | undefined {
    const active = this.contexts.active();
    const parent = trace.getSpan(active);
    // Outside a traced (and sampled) request nothing is recorded: background work would only add noise.
    if (parent === undefined || !parent.isRecording()) return undefined;
    const span = this.tracer.startSpan(
      `${system} ${operation}`,
      { kind: SpanKind.CLIENT, attributes: { [ATTR_DB_SYSTEM_NAME]: system, [ATTR_DB_OPERATION_NAME]: operation } },
      active,
    );
    return new OtelCallTrace(span);
  }

  annotate(name: string, value: AttributeValue): void {
    trace.getSpan(this.contexts.active())?.setAttribute(name, value);
  }

  describe(): Record<string, unknown> {
    const { exporter, protocol, url, sampler, ratio } = this.settings;
    // The origin only: a URL's user-info would be a credential.
    const endpoint = exporter === 'otlp' ? `${new URL(url).origin}${new URL(url).pathname}` : undefined;
    return { exporter, protocol: exporter === 'otlp' ? protocol : undefined, endpoint, sampler, ratio };
  }

  async shutdown(): Promise<void> {
    try {
      await this.provider.shutdown();
    } finally {
      this.contexts.disable();
    }
  }
}

class OtelRequestTrace implements RequestTrace {
  constructor(
    private readonly span: Span,
    private readonly context: Context,
    private readonly contexts: AsyncLocalStorageContextManager,
  ) {}

  run(fn: () => void): void {
    this.contexts.with(this.context, fn);
  }

  set(name: string, value: AttributeValue): void {
    this.span.setAttribute(name, value);
  }

  end(statusCode: number): void {
    this.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
    if (statusCode >= 500) {
      // HTTP server spans: only 5xx is the server's failure; a 4xx is the client's.
      this.span.setAttribute(ATTR_ERROR_TYPE, String(statusCode));
      this.span.setStatus({ code: SpanStatusCode.ERROR });
      this.span.setAttribute(ATTR.outcome, 'failed');
    } else {
      this.span.setAttribute(ATTR.outcome, statusCode >= 400 ? 'refused' : 'success');
    }
    this.span.end();
  }

  abort(): void {
    this.span.setAttribute(ATTR.outcome, 'aborted');
    this.span.end();
  }
}

class OtelCallTrace implements CallTrace {
  constructor(private readonly span: Span) {}

  end(error?: unknown): void {
    if (error !== undefined) {
      // The error's class only: a message may quote a value from the request.
      this.span.setAttribute(ATTR_ERROR_TYPE, error instanceof Error ? error.name : 'error');
      this.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    this.span.end();
  }
}

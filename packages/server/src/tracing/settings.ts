import { ConfigError } from '../config/load-config.js';

/**
 * Tracing reads the standard OpenTelemetry variables (the OTel SDK
 * environment specification), not TESSERA_* ones: collectors, operators and
 * platforms already set them. Read and checked once at start, like every
 * other setting; a value the SDK would silently ignore stops start-up here.
 */
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

export interface TracingSettings {
  /** `otlp` posts to a collector; `console` prints finished spans (for a look, not for production). */
  readonly exporter: 'otlp' | 'console';
  readonly protocol: 'http/protobuf' | 'http/json';
  /** The full URL spans are posted to (…/v1/traces). */
  readonly url: string;
  readonly sampler: SamplerName;
  /** The ratio of the traceidratio samplers, in [0, 1]. */
  readonly ratio: number;
  /** Whether a caller's W3C `traceparent`/`tracestate` is followed (OTEL_PROPAGATORS). */
  readonly propagate: boolean;
}

/** The OTLP/HTTP port of a collector on this machine: the specification's default. */
const DEFAULT_ENDPOINT = 'http://localhost:4318';

type Env = Readonly<Record<string, string | undefined>>;

/** The specification treats an empty value as unset. */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/**
 * The tracing settings, or undefined when tracing is off: OTEL_SDK_DISABLED
 * is true, OTEL_TRACES_EXPORTER is `none`, or nothing names an exporter
 * (neither OTEL_TRACES_EXPORTER nor an OTLP endpoint is set). Off is the
 * default, so a server nobody pointed at a collector never loads the SDK.
 */
export function readTracingSettings(env: Env): TracingSettings | undefined {
  if (read(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const exporter = readExporter(env);
  if (exporter === undefined) return undefined;
  return Object.freeze({
    exporter,
    protocol: readProtocol(env),
    url: readUrl(env),
    ...readSampler(env),
    propagate: readPropagate(env),
  });
}

function readExporter(env: Env): TracingSettings['exporter'] | undefined {
  const named = read(env, 'OTEL_TRACES_EXPORTER');
  if (named === undefined) {
    const endpoint = read(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    return endpoint === undefined ? undefined : 'otlp';
  }
  if (named === 'none') return undefined;
  if (named === 'otlp' || named === 'console') return named;
  throw new ConfigError('OTEL_TRACES_EXPORTER must be otlp, console or none');
}

function readProtocol(env: Env): TracingSettings['protocol'] {
  const name = read(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = read(env, name) ?? 'http/protobuf';
  if (protocol === 'http/protobuf' || protocol === 'http/json') return protocol;
  if (protocol === 'grpc')
    throw new ConfigError(`${name}=grpc is not supported: use http/protobuf (OTLP/HTTP, port 4318)`);
  throw new ConfigError(`${name} must be http/protobuf or http/json`);
}

/** The traces endpoint is used as given; the generic one gets the signal's path (the specification's rule). */
function readUrl(env: Env): string {
  const specific = read(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const generic = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') ?? DEFAULT_ENDPOINT;
  const name = specific ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const url = specific ?? `${generic}${generic.endsWith('/') ? '' : '/'}v1/traces`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${name} must be an http or https URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http or https URL`);
  }
  return url;
}

function readSampler(env: Env): { sampler: SamplerName; ratio: number } {
  const sampler = (read(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on') as SamplerName;
  if (!SAMPLERS.includes(sampler)) throw new ConfigError(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}`);
  const arg = read(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (!sampler.endsWith('traceidratio') || arg === undefined) return { sampler, ratio: 1 };
  const ratio = Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new ConfigError('OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1');
  }
  return { sampler, ratio };
}

/** Only W3C trace context is spoken; `baggage` is accepted and not read (no span uses it). */
function readPropagate(env: Env): boolean {
  const list = read(env, 'OTEL_PROPAGATORS');
  if (list === undefined) return true;
  const names = list.split(',').map((name) => name.trim());
  for (const name of names) {
    if (name !== 'tracecontext' && name !== 'baggage' && name !== 'none') {
      throw new ConfigError('OTEL_PROPAGATORS may name only tracecontext, baggage or none');
    }
  }
  return names.includes('tracecontext');
}

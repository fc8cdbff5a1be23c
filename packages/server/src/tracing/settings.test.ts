import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../config/load-config.js';
import { readTracingSettings } from './settings.js';

describe('readTracingSettings', () => {
  it('is off when nothing names an exporter, when disabled, and for the none exporter', () => {
    assert.equal(readTracingSettings({}), undefined);
    // Sampler or service name alone point nowhere: still off.
    assert.equal(readTracingSettings({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' }), undefined);
    assert.equal(readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }), undefined);
    assert.equal(
      readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'TRUE' }),
      undefined,
    );
    assert.equal(
      readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }),
      undefined,
    );
  });

  it('an endpoint turns it on with the specification defaults, frozen', () => {
    const settings = readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    assert.deepEqual(settings, {
      exporter: 'otlp',
      protocol: 'http/protobuf',
      url: 'http://collector:4318/v1/traces',
      sampler: 'parentbased_always_on',
      ratio: 1,
      propagate: true,
    });
    assert.ok(Object.isFrozen(settings));
  });

  it('the generic endpoint gets the signal path; the traces endpoint is used as given and wins', () => {
    const url = (env: Record<string, string>) => readTracingSettings(env)?.url;
    assert.equal(url({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c/otlp/' }), 'https://c/otlp/v1/traces');
    assert.equal(url({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://c/custom' }), 'https://c/custom');
    assert.equal(
      url({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b/t' }),
      'http://b/t',
    );
    assert.equal(url({ OTEL_TRACES_EXPORTER: 'otlp' }), 'http://localhost:4318/v1/traces');
  });

  it('reads protocol, sampler, ratio and propagators', () => {
    const settings = readTracingSettings({
      OTEL_TRACES_EXPORTER: 'console',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_PROPAGATORS: 'baggage',
    });
    assert.equal(settings?.exporter, 'console');
    assert.equal(settings?.protocol, 'http/json');
    assert.equal(settings?.sampler, 'parentbased_traceidratio');
    assert.equal(settings?.ratio, 0.25);
    assert.equal(settings?.propagate, false);
  });

  it('refuses, naming the variable, what the SDK would silently ignore or cannot do', () => {
    const on = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    const cases: [Record<string, string>, RegExp][] = [
      [{ OTEL_TRACES_EXPORTER: 'zipkin' }, /^OTEL_TRACES_EXPORTER must be otlp, console or none$/],
      [{ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /^OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported/],
      [{ ...on, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' }, /^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be/],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /^OTEL_EXPORTER_OTLP_ENDPOINT must be an http or https URL$/],
      [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be/],
      [{ ...on, OTEL_TRACES_SAMPLER: 'sometimes' }, /^OTEL_TRACES_SAMPLER must be one of always_on, /],
      [
        { ...on, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' },
        /ARG must be a number from 0 to 1/,
      ],
      [{ ...on, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' }, /ARG must be a number/],
      [{ ...on, OTEL_PROPAGATORS: 'tracecontext,b3' }, /^OTEL_PROPAGATORS may name only tracecontext/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => readTracingSettings(env),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
      );
    }
  });
});

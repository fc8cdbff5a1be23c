import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { readTracingSettings } from './settings.js';
import { startTracing, type Tracing, type TracingLoader, tracing } from './tracing.js';

const silent = pino({ level: 'silent' });

describe('startTracing', () => {
  it('with no OTEL_* variables loads nothing and leaves tracing null', async () => {
    let loads = 0;
    const load: TracingLoader = async () => {
      loads++;
      throw new Error('the SDK must not be loaded');
    };
    assert.equal(await startTracing(readTracingSettings({}), silent, load), null);
    assert.equal(loads, 0);
    assert.equal(tracing, null);
  });

  it('with an endpoint loads the SDK once and publishes what it built', async () => {
    const built = { describe: () => ({}) } as unknown as Tracing;
    let loads = 0;
    const load: TracingLoader = async () => {
      loads++;
      return { createTracing: async () => built };
    };
    const settings = readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
    assert.equal(await startTracing(settings, silent, load), built);
    assert.equal(loads, 1);
    assert.equal(tracing, built);
  });
});

/** The modules a server without tracing loads: only otel.ts may hold a value import of OpenTelemetry. */
describe('the SDK stays out of the always-loaded code', () => {
  const src = join(dirname(fileURLToPath(import.meta.url)), '..');
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? files(join(dir, e.name))
        : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
          ? [join(dir, e.name)]
          : [],
    );

  it('no module but tracing/otel.ts imports @opentelemetry/* other than as types', () => {
    const valueImport = /^import\s+(?!type\s)[^;]*?from\s+'@opentelemetry\/[^']+'|import\('@opentelemetry\//m;
    const offenders = files(src)
      .filter((file) => relative(src, file) !== join('tracing', 'otel.ts'))
      .filter((file) => valueImport.test(readFileSync(file, 'utf8')))
      .map((file) => relative(src, file));
    assert.deepEqual(offenders, []);
    // The pattern finds what it must: otel.ts itself matches.
    assert.ok(valueImport.test(readFileSync(join(src, 'tracing', 'otel.ts'), 'utf8')));
  });
});

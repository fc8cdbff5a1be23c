import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { BufferedCounts, LabelledHistogram } from './hot-path-metrics.js';

describe('hot-path metrics', () => {
  it('a LabelledHistogram exposes cumulative buckets, +Inf, sum and count per label set', async () => {
    const registry = new Registry();
    const h = new LabelledHistogram('t_seconds', 'help text', [0.001, 0.01, 1], registry);
    const a = h.series('/a', 'POST', '2xx', () => ({ route: '/a' }));
    for (const v of [0.0005, 0.001, 0.005, 5]) a.observe(v);
    h.series('/b', 'POST', '2xx', () => ({ route: '/b' })).observe(0.5);
    assert.equal(
      h.series('/a', 'POST', '2xx', () => assert.fail('labels are resolved once')),
      a,
    );
    const text = await registry.metrics();
    assert.match(text, /# TYPE t_seconds histogram/);
    assert.match(text, /t_seconds_bucket\{le="0.001",route="\/a"\} 2\n/);
    assert.match(text, /t_seconds_bucket\{le="0.01",route="\/a"\} 3\n/);
    assert.match(text, /t_seconds_bucket\{le="1",route="\/a"\} 3\n/);
    assert.match(text, /t_seconds_bucket\{le="\+Inf",route="\/a"\} 4\n/);
    assert.match(text, /t_seconds_sum\{route="\/a"\} 5.0065\n/);
    assert.match(text, /t_seconds_count\{route="\/a"\} 4\n/);
    assert.match(text, /t_seconds_bucket\{le="0.01",route="\/b"\} 0\n/);
    assert.match(text, /t_seconds_count\{route="\/b"\} 1\n/);
  });

  it('BufferedCounts hands increments to the counter at scrape time, once', async () => {
    const registry = new Registry();
    const counts = new BufferedCounts<'kind'>();
    const counter: Counter<'kind'> = new Counter({
      name: 'c_total',
      help: 'h',
      labelNames: ['kind'],
      registers: [registry],
      collect: () => counts.flushInto(counter),
    });
    for (let i = 0; i < 3; i++) counts.add('x', '', '', () => ({ kind: 'x' }));
    counts.add('y', '', '', () => ({ kind: 'y' }));
    assert.match(await registry.metrics(), /c_total\{kind="x"\} 3\n[\s\S]*c_total\{kind="y"\} 1/);
    counts.add('x', '', '', () => ({ kind: 'x' }));
    const again = await registry.metrics();
    assert.match(again, /c_total\{kind="x"\} 4\n/, 'earlier increments are not counted twice');
    assert.match(again, /c_total\{kind="y"\} 1\n/);
  });
});

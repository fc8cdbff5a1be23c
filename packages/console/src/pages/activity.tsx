import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartDataset,
  Legend,
  LinearScale,
  Tooltip,
} from 'chart.js';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { ErrorNote } from '../components.js';
import { duration } from '../format.js';
import { useLoad } from '../hooks.js';
import type { Activity, ActivityBucket } from '../types.js';

// Only the parts drawn here: the bundle stays small.
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** Distinct colours, each dark enough to read on white (WCAG 3:1 for graphics). */
const COLOURS = ['#1f5fbf', '#b3541e', '#2e7d32', '#8e24aa', '#c62828', '#00838f', '#6d4c41', '#546e7a'];
/** More series than this are summed into "others", so a chart stays readable. */
const MAX_SERIES = 7;

const FAILURE_REASONS: Record<string, string> = {
  no_credentials: 'No credentials',
  multiple_methods: 'Several methods at once',
  malformed: 'Malformed credentials',
  unknown_client: 'Unknown client',
  wrong_method: 'Method not registered',
  wrong_secret: 'Wrong secret',
  bad_assertion: 'Bad signed assertion',
  replayed_assertion: 'Replayed assertion',
  bad_certificate: 'Bad certificate',
};

function startMs(start: string | number): number {
  if (typeof start === 'number') return start < 1e12 ? start * 1000 : start;
  return Date.parse(start);
}

function label(bucket: ActivityBucket, range: 'hour' | 'day'): string {
  const d = new Date(startMs(bucket.start));
  return d.toLocaleTimeString(
    undefined,
    range === 'hour' ? { hour: '2-digit', minute: '2-digit' } : { hour: '2-digit' },
  );
}

/** One series per key (client or reason), the smallest summed as "others"; with each key's total. */
function series(buckets: ActivityBucket[], pick: (b: ActivityBucket) => Record<string, number>) {
  const totals = new Map<string, number>();
  for (const b of buckets) for (const [k, n] of Object.entries(pick(b))) totals.set(k, (totals.get(k) ?? 0) + n);
  const ranked = [...totals].sort((a, b) => b[1] - a[1]);
  const shown = ranked.slice(0, ranked.length > MAX_SERIES + 1 ? MAX_SERIES : ranked.length).map(([k]) => k);
  const others = ranked.length > shown.length;
  const keys = others ? [...shown, 'others'] : shown;
  const data = keys.map((k) =>
    buckets.map((b) => {
      const counts = pick(b);
      if (k !== 'others') return counts[k] ?? 0;
      return Object.entries(counts).reduce((s, [key, n]) => (shown.includes(key) ? s : s + n), 0);
    }),
  );
  return { keys, data, totals: ranked };
}

function BarChart({
  id,
  title,
  labels,
  keys,
  data,
  name,
}: {
  id: string;
  title: string;
  labels: string[];
  keys: string[];
  data: number[][];
  name: (k: string) => string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const datasets: ChartDataset<'bar'>[] = keys.map((k, i) => ({
      label: name(k),
      data: data[i] ?? [],
      backgroundColor: COLOURS[i % COLOURS.length],
      stack: 'one',
    }));
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: { labels, datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: true, ticks: { color: '#333' }, grid: { display: false } },
          y: { stacked: true, beginAtZero: true, ticks: { color: '#333', precision: 0 } },
        },
        plugins: { legend: { position: 'bottom', labels: { color: '#222' } } },
      },
    });
    return () => chart.destroy();
  }, [labels, keys, data, name]);
  const total = data.flat().reduce((s, n) => s + n, 0);
  return (
    <div class="chart">
      <canvas id={id} ref={canvas} role="img" aria-label={`${title}: ${total} in all, by ${keys.length} series`} />
    </div>
  );
}

function Totals({ caption, head, rows }: { caption: string; head: string; rows: [string, number][] }) {
  return (
    <table class="totals">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{head}</th>
          <th scope="col" class="num">
            Total
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([k, n]) => (
          <tr key={k}>
            <td class="mono">{k}</td>
            <td class="num">{n}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const reasonName = (k: string) => (k === 'others' ? 'Other reasons' : (FAILURE_REASONS[k] ?? k));
const clientName = (k: string) => (k === 'others' || k === '(other)' ? 'Other clients' : k);

export function ActivityPage() {
  const [range, setRange] = useState<'hour' | 'day'>('hour');
  const activity = useLoad(() => api<Activity>('GET', `/admin/activity${query({ range })}`), [range]);
  const a = activity.data;
  // Computed once per answer: the charts are redrawn only when these change.
  const { labels, issued, failures } = useMemo(
    () => ({
      labels: a ? a.buckets.map((b) => label(b, a.range)) : [],
      issued: a ? series(a.buckets, (b) => b.issued) : undefined,
      failures: a ? series(a.buckets, (b) => b.failures) : undefined,
    }),
    [a],
  );
  return (
    <>
      <div class="heading">
        <h1>Activity</h1>
        <fieldset class="toggle">
          <legend class="visually-hidden">Period</legend>
          {(['hour', 'day'] as const).map((r) => (
            <label key={r}>
              <input type="radio" name="range" value={r} checked={range === r} onChange={() => setRange(r)} />
              Last {r}
            </label>
          ))}
        </fieldset>
      </div>
      <ErrorNote text={activity.error} />
      {a && issued && failures && (
        <>
          <p class="quiet">Counted by every server process and node, in steps of {duration(a.bucket_seconds)}.</p>
          <section aria-labelledby="issued-title">
            <h2 id="issued-title">Tokens issued, by client</h2>
            {issued.totals.length === 0 ? (
              <p>No token was issued in the last {range}.</p>
            ) : (
              <div class="chart-row">
                <BarChart
                  id="issued-chart"
                  title="Tokens issued by client"
                  labels={labels}
                  keys={issued.keys}
                  data={issued.data}
                  name={clientName}
                />
                <Totals caption="Tokens issued" head="Client" rows={issued.totals} />
              </div>
            )}
          </section>
          <section aria-labelledby="failures-title">
            <h2 id="failures-title">Failed client authentications, by reason</h2>
            {failures.totals.length === 0 ? (
              <p>No client failed to authenticate in the last {range}.</p>
            ) : (
              <div class="chart-row">
                <BarChart
                  id="failures-chart"
                  title="Failed authentications by reason"
                  labels={labels}
                  keys={failures.keys}
                  data={failures.data}
                  name={reasonName}
                />
                <Totals
                  caption="Failures"
                  head="Reason"
                  rows={failures.totals.map(([k, n]) => [reasonName(k), n] as [string, number])}
                />
              </div>
            )}
          </section>
        </>
      )}
    </>
  );
}

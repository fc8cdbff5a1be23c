/**
 * Human output: aligned tables and key/value blocks. Scripts use --json,
 * which prints the API's JSON untouched; these shapes may change.
 */

/** Control characters from a server (or a hostile client_name) must not drive the terminal. */
export function clean(text: string): string {
  return text.replace(/[\x00-\x1F\x7F-\x9F]/g, ' ');
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [headers, ...rows].map((row) => row.map((c) => clean(c)));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${cells.map(line).join('\n')}\n`;
}

/** One `key  value` line per entry, keys aligned. */
export function keyValues(entries: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${clean(v)}`.trimEnd()).join('\n') + (entries.length ? '\n' : '');
}

/** A value of any JSON type, on one line. */
export function show(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'string') return value === '' ? '-' : value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.length ? value.join(', ') : '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Seconds since the epoch, as an ISO date (what people read); '-' when absent. */
export function date(seconds: unknown): string {
  return typeof seconds === 'number' ? new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') : '-';
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

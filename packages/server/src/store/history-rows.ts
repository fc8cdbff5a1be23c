import type { ActivityCount, ActivityKind, AuditAction, AuditRecord } from './types.js';

/** Rows of the audit log and the activity counts, as both SQL backends read them. */

export interface AuditRow {
  id: number;
  at: number;
  action: string;
  target: string;
  actor: string;
  address: string;
}

export const AUDIT_COLUMNS = 'id, at, action, target, actor, address';

export function fromAuditRow(r: AuditRow): AuditRecord {
  return {
    id: r.id,
    at: r.at,
    action: r.action as AuditAction,
    target: r.target,
    actor: r.actor,
    address: r.address,
  };
}

export interface ActivityRow {
  start: number;
  kind: string;
  key: string;
  n: number;
}

export function fromActivityRow(r: ActivityRow): ActivityCount {
  return { start: r.start, kind: r.kind as ActivityKind, key: r.key, n: r.n };
}

/**
 * One count per (start, kind, key), summed, sorted: an upsert may touch a
 * row only once per statement, and writers that take row locks in one
 * order cannot deadlock one another.
 */
export function mergeActivity(counts: readonly ActivityCount[]): ActivityCount[] {
  const merged = new Map<string, ActivityCount>();
  for (const c of counts) {
    const id = `${c.start}\u0000${c.kind}\u0000${c.key}`;
    const seen = merged.get(id);
    if (seen) seen.n += c.n;
    else merged.set(id, { ...c });
  }
  return [...merged.values()].sort((a, b) => a.start - b.start || compare(a.kind, b.kind) || compare(a.key, b.key));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

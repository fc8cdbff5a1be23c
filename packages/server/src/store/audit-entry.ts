import type { AuditAction, AuditEntry, AuditOrigin } from './types.js';

/** The audit entry of one admin change, or none when nobody asked for one (a change made by the server itself). */
export function auditEntry(
  by: AuditOrigin | undefined,
  action: AuditAction,
  target: string,
  at: number,
): AuditEntry | undefined {
  return by && { at, action, target, actor: by.actor, address: by.address };
}

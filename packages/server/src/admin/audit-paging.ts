import { InvalidRequest } from '../errors/index.js';
import type { AuditPosition } from '../store/types.js';
import { readLimit } from './paging.js';

export interface AuditPage {
  before: AuditPosition | undefined;
  limit: number;
}

const CURSOR = /^a1:(\d{1,16}):(\d{1,16})$/;

/** Opaque to callers: base64url of the (at, id) of the previous page's last entry. */
export function encodeAuditCursor(last: AuditPosition): string {
  return Buffer.from(`a1:${last.at}:${last.id}`, 'utf8').toString('base64url');
}

/** `limit` as for every admin list; `cursor` a next_cursor of GET /admin/audit, anything else 400. */
export function readAuditPage(query: Record<string, unknown>): AuditPage {
  const limit = readLimit(query);
  const { cursor } = query;
  if (cursor === undefined || cursor === '') return { before: undefined, limit };
  if (typeof cursor !== 'string' || cursor.length > 100) throw new InvalidRequest('invalid cursor');
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const at = Number(match?.[1]);
  const id = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(at) || !Number.isSafeInteger(id)) throw new InvalidRequest('invalid cursor');
  return { before: { at, id }, limit };
}

import { isClientId } from '../clients/client-metadata.js';
import { InvalidRequest } from '../errors/index.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface Page {
  after: string | undefined;
  limit: number;
}

/** Cursors are opaque to callers: base64url of the last id of the previous page. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`c1:${lastId}`, 'utf8').toString('base64url');
}

/** `limit` of a paged admin list: 1 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when absent. */
export function readLimit(query: Record<string, unknown>): number {
  const { limit: rawLimit } = query;
  if (rawLimit === undefined) return DEFAULT_PAGE_SIZE;
  if (
    typeof rawLimit !== 'string' ||
    !/^\d{1,4}$/.test(rawLimit) ||
    Number(rawLimit) < 1 ||
    Number(rawLimit) > MAX_PAGE_SIZE
  ) {
    throw new InvalidRequest(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  return Number(rawLimit);
}

export function readPage(query: Record<string, unknown>): Page {
  const { cursor } = query;
  const limit = readLimit(query);
  if (cursor === undefined || cursor === '') return { after: undefined, limit };
  if (typeof cursor !== 'string' || cursor.length > 400) throw new InvalidRequest('invalid cursor');
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith('c1:') || !isClientId(decoded.slice(3))) throw new InvalidRequest('invalid cursor');
  return { after: decoded.slice(3), limit };
}

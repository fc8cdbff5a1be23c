import type Database from 'better-sqlite3';
import type { StatusBlockRecord, StatusEntry, StatusLink, StatusListContents } from '../types.js';

/**
 * The status list rows (store/types.ts StatusListStore) on SQLite. Each
 * method runs inside the caller's transaction: better-sqlite3 is
 * synchronous, and one writer at a time makes a link and a revocation of
 * its ancestor see each other in either order.
 */
export function statusStatements(db: Database.Database) {
  const s = {
    insertBlock: db.prepare(
      'INSERT INTO status_blocks (list_id, first_idx, size, client_id, client_created_at, expires_at) VALUES (@listId, @first, @size, @clientId, @clientCreatedAt, @expiresAt)',
    ),
    setBit: db.prepare(
      'INSERT INTO status_bits (list_id, idx, expires_at) VALUES (?, ?, ?) ON CONFLICT(list_id, idx) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)',
    ),
    cascade: db.prepare(
      `INSERT INTO status_bits (list_id, idx, expires_at) SELECT list_id, idx, expires_at FROM status_links WHERE parent_jti = ? AND true
       ON CONFLICT(list_id, idx) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
    ),
    linkedLists: db.prepare('SELECT DISTINCT list_id FROM status_links WHERE parent_jti = ?'),
    insertLink: db.prepare(
      'INSERT OR IGNORE INTO status_links (parent_jti, list_id, idx, parent_client_id, parent_client_created_at, expires_at) VALUES (@parentJti, @listId, @idx, @parentClientId, @parentClientCreatedAt, @expiresAt)',
    ),
    parentDead: db.prepare(
      `SELECT 1 FROM revoked_jtis WHERE jti = @parentJti
       UNION ALL SELECT 1 FROM status_dead_clients WHERE client_id = @parentClientId AND created_at = @parentClientCreatedAt
       LIMIT 1`,
    ),
    buryClient: db.prepare(
      `INSERT INTO status_dead_clients (client_id, created_at, expires_at) SELECT client_id, created_at, ? FROM clients WHERE client_id = ?
       ON CONFLICT(client_id, created_at) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
    ),
    clientLists: db.prepare(
      `SELECT DISTINCT b.list_id FROM status_blocks b JOIN clients c ON c.client_id = b.client_id AND c.created_at = b.client_created_at WHERE b.client_id = ?
       UNION SELECT DISTINCT l.list_id FROM status_links l JOIN clients c ON c.client_id = l.parent_client_id AND c.created_at = l.parent_client_created_at WHERE l.parent_client_id = ?`,
    ),
    blocks: db.prepare(
      `SELECT first_idx, size, EXISTS (SELECT 1 FROM status_dead_clients d WHERE d.client_id = b.client_id AND d.created_at = b.client_created_at) AS dead
         FROM status_blocks b WHERE list_id = ? AND expires_at > ?`,
    ),
    bits: db.prepare(
      `SELECT idx FROM status_bits WHERE list_id = ?
       UNION ALL SELECT l.idx FROM status_links l JOIN status_dead_clients d ON d.client_id = l.parent_client_id AND d.created_at = l.parent_client_created_at WHERE l.list_id = ?`,
    ),
    purgeBlocks: db.prepare('DELETE FROM status_blocks WHERE expires_at <= ?'),
    purgeBits: db.prepare('DELETE FROM status_bits WHERE expires_at <= ?'),
    purgeLinks: db.prepare('DELETE FROM status_links WHERE expires_at <= ?'),
    purgeDead: db.prepare('DELETE FROM status_dead_clients WHERE expires_at <= ?'),
  };
  return {
    insertBlock(b: StatusBlockRecord): void {
      s.insertBlock.run(b);
    },
    link(links: readonly StatusLink[]): string[] {
      const changed = new Set<string>();
      for (const l of links) {
        s.insertLink.run(l);
        if (s.parentDead.get(l) !== undefined) {
          s.setBit.run(l.listId, l.idx, l.expiresAt);
          changed.add(l.listId);
        }
      }
      return [...changed];
    },
    revoke(jti: string, entries: readonly StatusEntry[], expiresAt: number): string[] {
      const changed = new Set<string>();
      for (const e of entries) {
        s.setBit.run(e.listId, e.idx, expiresAt);
        changed.add(e.listId);
      }
      s.cascade.run(jti);
      for (const r of s.linkedLists.all(jti) as { list_id: string }[]) changed.add(r.list_id);
      return [...changed];
    },
    revokeClient(clientId: string, expiresAt: number): string[] {
      s.buryClient.run(expiresAt, clientId);
      return (s.clientLists.all(clientId, clientId) as { list_id: string }[]).map((r) => r.list_id);
    },
    get(listId: string, now: number): StatusListContents | undefined {
      const blocks = s.blocks.all(listId, now) as { first_idx: number; size: number; dead: number }[];
      if (blocks.length === 0) return undefined;
      let size = 0;
      const revokedBlocks: [number, number][] = [];
      for (const b of blocks) {
        size = Math.max(size, b.first_idx + b.size);
        if (b.dead) revokedBlocks.push([b.first_idx, b.size]);
      }
      const revoked = (s.bits.all(listId, listId) as { idx: number }[]).map((r) => r.idx);
      return { size, revoked, revokedBlocks };
    },
    purge(now: number): number {
      return (
        s.purgeBlocks.run(now).changes +
        s.purgeBits.run(now).changes +
        s.purgeLinks.run(now).changes +
        s.purgeDead.run(now).changes
      );
    },
  };
}

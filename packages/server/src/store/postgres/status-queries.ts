import type { Pool, PoolClient } from 'pg';
import type { StatusBlockRecord, StatusEntry, StatusLink, StatusListContents } from '../types.js';
import { transaction } from './pool.js';

/** First key of the advisory lock a jti's links and its revocation share; the second is the jti's hash. */
const LINK_LOCK = 0x57a7b175;

const SET_BIT = `INSERT INTO status_bits (list_id, idx, expires_at) VALUES ($1, $2, $3)
  ON CONFLICT (list_id, idx) DO UPDATE SET expires_at = greatest(status_bits.expires_at, excluded.expires_at)`;

/**
 * The status list rows (store/types.ts StatusListStore) on PostgreSQL. A
 * link and the revocation of its ancestor take the same advisory lock, so
 * under READ COMMITTED one of them always sees the other's row: the link
 * finds the jti on the denylist, or the revocation finds the link.
 */
export class PostgresStatusLists {
  constructor(private readonly pool: Pool) {}

  async insertBlock(b: StatusBlockRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO status_blocks (list_id, first_idx, size, client_id, client_created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [b.listId, b.first, b.size, b.clientId, b.clientCreatedAt, b.expiresAt],
    );
  }

  link(links: readonly StatusLink[]): Promise<string[]> {
    if (links.length === 0) return Promise.resolve([]);
    // Locks taken in one order: two batches sharing ancestors never deadlock.
    const sorted = [...links].sort((a, b) => (a.parentJti < b.parentJti ? -1 : a.parentJti > b.parentJti ? 1 : 0));
    return transaction(this.pool, async (db) => {
      const changed = new Set<string>();
      for (const l of sorted) {
        await lock(db, l.parentJti);
        await db.query(
          `INSERT INTO status_links (parent_jti, list_id, idx, parent_client_id, parent_client_created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
          [l.parentJti, l.listId, l.idx, l.parentClientId, l.parentClientCreatedAt, l.expiresAt],
        );
        const { rowCount } = await db.query(
          `SELECT 1 FROM revoked_jtis WHERE jti = $1
           UNION ALL SELECT 1 FROM status_dead_clients WHERE client_id = $2 AND created_at = $3 LIMIT 1`,
          [l.parentJti, l.parentClientId, l.parentClientCreatedAt],
        );
        if (rowCount) {
          await db.query(SET_BIT, [l.listId, l.idx, l.expiresAt]);
          changed.add(l.listId);
        }
      }
      return [...changed];
    });
  }

  revoke(jti: string, entries: readonly StatusEntry[], expiresAt: number): Promise<string[]> {
    return transaction(this.pool, async (db) => {
      await lock(db, jti);
      const changed = new Set<string>();
      for (const e of entries) {
        await db.query(SET_BIT, [e.listId, e.idx, expiresAt]);
        changed.add(e.listId);
      }
      const { rows } = await db.query<{ list_id: string }>(
        `INSERT INTO status_bits (list_id, idx, expires_at) SELECT list_id, idx, expires_at FROM status_links WHERE parent_jti = $1
         ON CONFLICT (list_id, idx) DO UPDATE SET expires_at = greatest(status_bits.expires_at, excluded.expires_at)
         RETURNING list_id`,
        [jti],
      );
      for (const r of rows) changed.add(r.list_id);
      return [...changed];
    });
  }

  revokeClient(clientId: string, expiresAt: number): Promise<string[]> {
    return transaction(this.pool, async (db) => {
      await db.query(
        `INSERT INTO status_dead_clients (client_id, created_at, expires_at) SELECT client_id, created_at, $2 FROM clients WHERE client_id = $1
         ON CONFLICT (client_id, created_at) DO UPDATE SET expires_at = greatest(status_dead_clients.expires_at, excluded.expires_at)`,
        [clientId, expiresAt],
      );
      const { rows } = await db.query<{ list_id: string }>(
        `SELECT DISTINCT b.list_id FROM status_blocks b JOIN clients c ON c.client_id = b.client_id AND c.created_at = b.client_created_at WHERE b.client_id = $1
         UNION SELECT DISTINCT l.list_id FROM status_links l JOIN clients c ON c.client_id = l.parent_client_id AND c.created_at = l.parent_client_created_at WHERE l.parent_client_id = $1`,
        [clientId],
      );
      return rows.map((r) => r.list_id);
    });
  }

  async get(listId: string, now: number): Promise<StatusListContents | undefined> {
    const blocks = await this.pool.query<{ first_idx: number; size: number; dead: boolean }>(
      `SELECT first_idx, size, EXISTS (SELECT 1 FROM status_dead_clients d WHERE d.client_id = b.client_id AND d.created_at = b.client_created_at) AS dead
         FROM status_blocks b WHERE list_id = $1 AND expires_at > $2`,
      [listId, now],
    );
    if (blocks.rows.length === 0) return undefined;
    let size = 0;
    const revokedBlocks: [number, number][] = [];
    for (const b of blocks.rows) {
      size = Math.max(size, b.first_idx + b.size);
      if (b.dead) revokedBlocks.push([b.first_idx, b.size]);
    }
    const bits = await this.pool.query<{ idx: number }>(
      `SELECT idx FROM status_bits WHERE list_id = $1
       UNION ALL SELECT l.idx FROM status_links l JOIN status_dead_clients d ON d.client_id = l.parent_client_id AND d.created_at = l.parent_client_created_at WHERE l.list_id = $1`,
      [listId],
    );
    return { size, revoked: bits.rows.map((r) => r.idx), revokedBlocks };
  }

  /** Counted with purgeExpired's other rows. */
  static readonly PURGE_CTES = `blocks AS (DELETE FROM status_blocks WHERE expires_at <= $2 RETURNING 1),
            bits AS (DELETE FROM status_bits WHERE expires_at <= $2 RETURNING 1),
            links AS (DELETE FROM status_links WHERE expires_at <= $2 RETURNING 1),
            dead AS (DELETE FROM status_dead_clients WHERE expires_at <= $2 RETURNING 1)`;
  static readonly PURGE_COUNT =
    '(SELECT count(*) FROM blocks) + (SELECT count(*) FROM bits) + (SELECT count(*) FROM links) + (SELECT count(*) FROM dead)';
}

async function lock(db: PoolClient, jti: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LINK_LOCK, jti]);
}

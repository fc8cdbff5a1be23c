import pg from 'pg';
import type { Logger } from 'pino';
import type { Change, ChangeFeed } from './change-feed.js';

const CHANNEL = 'tessera_changes';

/**
 * Several nodes on PostgreSQL without Redis: LISTEN/NOTIFY on one dedicated
 * connection. When that connection drops, the feed reconnects with a capped
 * backoff and reports a reset, since notifications may have been missed.
 */
export class PostgresFeed implements ChangeFeed {
  readonly #origin = `${process.pid}:${Math.random().toString(36).slice(2)}`;
  #client: pg.Client | undefined;
  #closed = false;
  #reconnecting = false;
  #handlers: { onChange: (c: Change) => void; onReset: (() => void) | undefined }[] = [];
  #publisher: pg.Pool;

  private constructor(
    private readonly url: string,
    /** Hears once when the listening connection is lost and once when it is back. */
    private readonly logger?: Logger,
  ) {
    this.#publisher = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 3000 });
    this.#publisher.on('error', () => {});
  }

  /** Listens in the background, retrying until PostgreSQL answers. */
  static connect(url: string, logger?: Logger): PostgresFeed {
    const feed = new PostgresFeed(url, logger);
    feed.#listen().catch(() => feed.#reconnect(1));
    return feed;
  }

  /** The connection attempt under way, so close() can wait for it rather than leave it behind. */
  #pending: Promise<void> | undefined;

  #listen(): Promise<void> {
    const attempt = this.#connectListener();
    this.#pending = attempt;
    return attempt.finally(() => {
      if (this.#pending === attempt) this.#pending = undefined;
    });
  }

  async #connectListener(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 3000 });
    client.on('error', () => {});
    client.on('end', () => {
      if (this.#client !== client) return this.#reconnect(1);
      this.#client = undefined;
      if (!this.#closed) {
        this.logger?.warn('change feed lost: changes made on other nodes are missed until it is back');
      }
      this.#reconnect(1);
    });
    client.on('notification', (n) => {
      try {
        const { origin, change } = JSON.parse(n.payload ?? '') as { origin: string; change: Change };
        if (origin !== this.#origin) for (const h of this.#handlers) h.onChange(change);
      } catch {
        // Not ours: ignore.
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      client.end().catch(() => {});
      throw err;
    }
    // Closed while connecting: a connection kept now would hold the process open.
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
  }

  #reconnect(attempt: number): void {
    // A failed connect may also emit 'end': one retry loop at a time.
    if (this.#reconnecting || this.#closed) return;
    this.#reconnecting = true;
    setTimeout(
      () => {
        this.#reconnecting = false;
        if (this.#closed) return;
        this.#listen().then(
          () => {
            if (!this.#closed)
              this.logger?.info('change feed back: caches dropped, since changes may have been missed');
            for (const h of this.#handlers) h.onReset?.();
          },
          () => this.#reconnect(attempt + 1),
        );
      },
      Math.min(attempt * 250, 2000),
    ).unref();
  }

  publish(change: Change): void {
    this.#publisher
      .query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ origin: this.#origin, change })])
      .catch(() => {});
  }

  subscribe(onChange: (change: Change) => void, onReset?: () => void): void {
    this.#handlers.push({ onChange, onReset });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#pending?.catch(() => {});
    await this.#client?.end().catch(() => {});
    await this.#publisher.end().catch(() => {});
  }
}

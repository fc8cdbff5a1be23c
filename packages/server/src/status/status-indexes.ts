import { randomBytes } from 'node:crypto';
import type { StoredClient } from '../clients/client.js';
import type { StatusListStore } from '../store/types.js';

export interface IndexOptions {
  /** A list takes new indexes for this long (aligned to the epoch), then a new one starts. */
  windowMs: number;
  /** Statuses a list holds at most; a full list makes way for a new one in the same window. */
  capacity: number;
  /** A client's first block in a list; each next one is 4× larger, up to maxBlock. */
  minBlock: number;
  maxBlock: number;
  /** Added to a block's expiry, for clocks that differ between nodes. */
  marginMs: number;
}

export const DEFAULT_INDEX_OPTIONS: IndexOptions = Object.freeze({
  windowMs: 3_600_000,
  capacity: 1 << 20,
  minBlock: 64,
  // 64, 256, 1024, 4096, 16384: a client taking thousands of tokens a second writes a block owner every few
  // seconds (a synced SQLite commit is ~3 ms on the event loop: per 1024 tokens that was 2.6 µs a token).
  maxBlock: 16_384,
  marginMs: 60_000,
});

/** A list this process hands indexes out of: its id, its uri and the JSON around an index, made once. */
export class OpenList {
  /** The next index no block holds yet. */
  next = 0;
  /** `,"status":{"status_list":{"idx":`: the claim up to the index. */
  readonly head = ',"status":{"status_list":{"idx":';
  /** `,"uri":"…"}}`: the claim after it. */
  readonly tail: string;
  constructor(
    readonly id: string,
    readonly uri: string,
    readonly windowEnd: number,
  ) {
    this.tail = `,"uri":${JSON.stringify(uri)}}}`;
  }
}

/** Indexes of one list that belong to one client: handed out from memory, owner written once. */
export class Block {
  next: number;
  readonly end: number;
  /** When a quarter is left, the next block is opened in the background. */
  readonly prefetchAt: number;
  successor: Block | undefined;
  prefetching = false;
  constructor(
    readonly list: OpenList,
    readonly first: number,
    readonly size: number,
    /** The owner as created then: a client re-created under its id gets blocks of its own. */
    readonly clientCreatedAt: number,
    /** Seconds: the longest token lifetime the block's expiry covers. */
    readonly maxTtl: number,
  ) {
    this.next = first;
    this.end = first + size;
    this.prefetchAt = this.end - (size >> 2);
  }
}

/** A token's place, for the few callers that need more than the claim (token exchange links it). */
export interface StatusSlot {
  readonly list: OpenList;
  readonly idx: number;
}

/** A list id: 16 random bytes, base64url. */
export const LIST_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * Hands out status list indexes (draft-ietf-oauth-status-list) without a
 * store write per token: lists belong to this process and a time window,
 * and indexes come from memory in blocks per client. Opening a block is
 * the one awaited write (its owner, so deleting the client can invalidate
 * it), made when a client first gets a token in a window on this process
 * and then every block (64 indexes, growing 4× per block up to 16,384), and
 * opened ahead once three quarters are used, so a busy client never waits
 * for it.
 */
export class StatusIndexes {
  #current: OpenList | undefined;
  readonly #blocks = new Map<string, Block>();
  readonly #opening = new Map<string, Promise<Block>>();

  constructor(
    private readonly store: Pick<StatusListStore, 'insertStatusBlock'>,
    private readonly uriOf: (listId: string) => string,
    private readonly options: IndexOptions = DEFAULT_INDEX_OPTIONS,
    /** Told when a block's background opening fails (the next token then waits for its own). */
    private readonly onPrefetchError: (err: unknown) => void = () => {},
  ) {}

  /** The `status` claim as JSON members (with a leading comma); a promise only when a block must be opened. */
  claim(client: StoredClient, ttl: number, now: number): string | Promise<string> {
    const b = this.#usable(client, ttl, now);
    if (b !== undefined) {
      const idx = b.next++;
      return b.list.head + idx + b.list.tail;
    }
    return this.#opened(client, ttl, now).then((s) => s.list.head + s.idx + s.list.tail);
  }

  slot(client: StoredClient, ttl: number, now: number): StatusSlot | Promise<StatusSlot> {
    const b = this.#usable(client, ttl, now);
    if (b !== undefined) return { list: b.list, idx: b.next++ };
    return this.#opened(client, ttl, now);
  }

  /** The client's block if it can take this token, starting the next one ahead when due. */
  #usable(client: StoredClient, ttl: number, now: number): Block | undefined {
    let b = this.#blocks.get(client.clientId);
    if (b === undefined) return undefined;
    if (b.next >= b.end) {
      if (b.successor === undefined) return undefined;
      b = b.successor;
      this.#blocks.set(client.clientId, b);
    }
    if (now >= b.list.windowEnd || ttl > b.maxTtl || b.clientCreatedAt !== client.createdAt) return undefined;
    if (b.next >= b.prefetchAt && !b.prefetching && b.successor === undefined) this.#prefetch(b, client, now);
    return b;
  }

  #prefetch(b: Block, client: StoredClient, now: number): void {
    b.prefetching = true;
    this.#open(client, b.maxTtl, now, b).then(
      (next) => {
        b.successor = next;
      },
      (err: unknown) => {
        b.prefetching = false;
        this.onPrefetchError(err);
      },
    );
  }

  async #opened(client: StoredClient, ttl: number, now: number): Promise<StatusSlot> {
    for (;;) {
      let opening = this.#opening.get(client.clientId);
      if (opening === undefined) {
        opening = this.#open(client, ttl, now, this.#blocks.get(client.clientId)).finally(() => {
          this.#opening.delete(client.clientId);
        });
        this.#opening.set(client.clientId, opening);
      }
      const b = await opening;
      this.#blocks.set(client.clientId, b);
      // Shared with other waiters: it may be used up, or opened for another lifetime or incarnation.
      if (b.next < b.end && ttl <= b.maxTtl && b.clientCreatedAt === client.createdAt && now < b.list.windowEnd) {
        return { list: b.list, idx: b.next++ };
      }
    }
  }

  async #open(client: StoredClient, ttl: number, now: number, previous: Block | undefined): Promise<Block> {
    const list = this.#listFor(now);
    const grows = previous !== undefined && previous.list === list && previous.clientCreatedAt === client.createdAt;
    const want = grows ? Math.min(this.options.maxBlock, previous.size * 4) : this.options.minBlock;
    const target = list.next + want <= this.options.capacity ? list : this.#newList(now);
    const maxTtl = Math.max(ttl, client.metadata.access_token_ttl);
    const block = new Block(target, target.next, want, client.createdAt, maxTtl);
    // Reserved before the write: concurrent openings on this process never overlap.
    target.next += want;
    await this.store.insertStatusBlock({
      listId: target.id,
      first: block.first,
      size: block.size,
      clientId: client.clientId,
      clientCreatedAt: client.createdAt,
      expiresAt: target.windowEnd + maxTtl * 1000 + this.options.marginMs,
    });
    return block;
  }

  #listFor(now: number): OpenList {
    const current = this.#current;
    return current !== undefined && now < current.windowEnd ? current : this.#newList(now);
  }

  #newList(now: number): OpenList {
    const { windowMs } = this.options;
    const previous = this.#current;
    const windowEnd = Math.floor(now / windowMs) * windowMs + windowMs;
    const id = randomBytes(16).toString('base64url');
    this.#current = new OpenList(id, this.uriOf(id), windowEnd);
    // A new window: every block of the last one is done with (a list merely full keeps its blocks).
    if (previous !== undefined && previous.windowEnd !== windowEnd) this.#blocks.clear();
    return this.#current;
  }
}

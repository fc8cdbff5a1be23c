import type { ServerResponse } from 'node:http';

export interface EventsOptions {
  /** Streams open at once on this process; one more is answered 503. */
  maxSubscribers: number;
  /** Bytes a subscriber may leave unread before it is dropped. */
  maxBufferedBytes: number;
  /** A subscriber whose socket took nothing for this long is dropped. */
  maxStalledMs: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
}

export const DEFAULT_EVENTS_OPTIONS: EventsOptions = Object.freeze({
  maxSubscribers: 10_000,
  maxBufferedBytes: 64 * 1024,
  maxStalledMs: 30_000,
  heartbeatMs: 15_000,
});

interface Subscriber {
  res: ServerResponse;
  /** When the socket last refused more (write returned false), until it drained; 0 when flowing. */
  stalledSince: number;
}

/** Sent first: the client's reconnection delay (ms) and a comment, so the stream shows at once. */
const PREAMBLE = 'retry: 1000\n: tessera status list events\n\n';
const HEARTBEAT = ':\n\n';

/**
 * The status list events stream (a Tessera extension, announced in
 * discovery as `status_list_events_endpoint`): Server-Sent Events, one
 * `event: status_list` with `data: {"uri": …}` per changed list. Nothing
 * is queued per subscriber beyond its socket's buffer: a subscriber that
 * leaves more than maxBufferedBytes unread, or takes nothing for
 * maxStalledMs, is dropped (it reconnects and fetches its lists again), so
 * slow or stuck readers cannot grow memory without bound.
 */
export class StatusEvents {
  readonly #subscribers = new Set<Subscriber>();
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly options: EventsOptions = DEFAULT_EVENTS_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#subscribers.size;
  }

  /** True when there is room: the caller then hands the response over (headers not yet sent). */
  hasRoom(): boolean {
    return !this.#closed && this.#subscribers.size < this.options.maxSubscribers;
  }

  /** Takes over `res` (the caller checked hasRoom) until the subscriber leaves or the server closes. */
  subscribe(res: ServerResponse, headers: Record<string, string>): void {
    const sub: Subscriber = { res, stalledSince: 0 };
    this.#subscribers.add(sub);
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Proxies that buffer responses (nginx) would hold events back.
      'x-accel-buffering': 'no',
    });
    res.on('close', () => {
      this.#subscribers.delete(sub);
      // A stream is never reused: its socket goes with it (a half-closed one would hold shutdown up).
      res.destroy();
    });
    res.on('drain', () => {
      sub.stalledSince = 0;
    });
    this.#write(sub, PREAMBLE);
    this.#heartbeat ??= setInterval(() => this.#beat(), this.options.heartbeatMs).unref();
  }

  /** One event per changed list, to every subscriber. */
  announce(uri: string): void {
    if (this.#subscribers.size === 0) return;
    const event = `event: status_list\ndata: ${JSON.stringify({ uri })}\n\n`;
    for (const sub of this.#subscribers) this.#write(sub, event);
  }

  /** Ends every stream (graceful shutdown): subscribers reconnect elsewhere. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    for (const sub of this.#subscribers) sub.res.end(() => sub.res.destroy());
    this.#subscribers.clear();
  }

  #beat(): void {
    if (this.#subscribers.size === 0) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
      return;
    }
    const now = this.now();
    for (const sub of this.#subscribers) {
      if (sub.stalledSince !== 0 && now - sub.stalledSince > this.options.maxStalledMs) this.#drop(sub);
      else this.#write(sub, HEARTBEAT);
    }
  }

  #write(sub: Subscriber, text: string): void {
    const { res } = sub;
    if (res.destroyed || res.writableEnded) {
      this.#subscribers.delete(sub);
      return;
    }
    if (res.writableLength + text.length > this.options.maxBufferedBytes) {
      this.#drop(sub);
      return;
    }
    if (!res.write(text) && sub.stalledSince === 0) sub.stalledSince = this.now();
  }

  #drop(sub: Subscriber): void {
    this.#subscribers.delete(sub);
    sub.res.destroy();
  }
}

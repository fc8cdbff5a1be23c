/**
 * A Server-Sent Events parser (the WHATWG HTML "event stream
 * interpretation"), enough for a feed of small named events: `event`,
 * `data` (lines joined with `\n`), `id` and `retry`; comment lines (a
 * heartbeat) and unknown fields are skipped. Lines end with CRLF, LF or
 * CR. A line or an event past `maxEventBytes` makes `push` return false:
 * the caller drops the stream rather than buffer without bound.
 */
export interface ServerSentEvent {
  event: string;
  data: string;
  id: string | undefined;
}

export class EventStreamParser {
  readonly #onEvent: (event: ServerSentEvent) => void;
  readonly #maxEventBytes: number;
  readonly #decoder = new TextDecoder('utf-8');
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #dataLength = 0;
  #lastEventId: string | undefined;
  #sawCr = false;
  #first = true;
  /** The last `retry` field, in ms. */
  retryMs: number | undefined;

  constructor(onEvent: (event: ServerSentEvent) => void, maxEventBytes = 65_536) {
    this.#onEvent = onEvent;
    this.#maxEventBytes = maxEventBytes;
  }

  /** Feeds bytes as they arrive; false when a line or an event is too long. */
  push(chunk: Uint8Array): boolean {
    let text = this.#decoder.decode(chunk, { stream: true });
    if (this.#first && text.length > 0) {
      // One leading byte order mark is ignored.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.#first = false;
    }
    // A CR that ended the previous chunk already ended its line: a LF right after it is part of that ending.
    if (this.#sawCr && text.startsWith('\n')) text = text.slice(1);
    this.#sawCr = false;
    let buffer = this.#buffer + text;
    let start = 0;
    for (;;) {
      const cr = buffer.indexOf('\r', start);
      const lf = buffer.indexOf('\n', start);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) break;
      if (!this.#line(buffer.slice(start, end))) return false;
      if (buffer.charCodeAt(end) === 13 && buffer.charCodeAt(end + 1) === 10) {
        start = end + 2;
      } else {
        // A CR at the very end may be the first half of a CRLF split between chunks.
        if (end + 1 === buffer.length && buffer.charCodeAt(end) === 13) this.#sawCr = true;
        start = end + 1;
      }
    }
    buffer = buffer.slice(start);
    this.#buffer = buffer;
    return buffer.length <= this.#maxEventBytes;
  }

  #line(line: string): boolean {
    if (line.length === 0) {
      this.#dispatch();
      return true;
    }
    if (line.charCodeAt(0) === 58) return true; // ':' a comment, such as a heartbeat
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#event = value;
        break;
      case 'data':
        this.#dataLength += value.length + 1;
        if (this.#dataLength > this.#maxEventBytes) return false;
        this.#data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
    return true;
  }

  #dispatch(): void {
    const data = this.#data;
    const event = this.#event;
    this.#data = [];
    this.#dataLength = 0;
    this.#event = '';
    if (data.length === 0) return;
    this.#onEvent({ event: event || 'message', data: data.join('\n'), id: this.#lastEventId });
  }
}

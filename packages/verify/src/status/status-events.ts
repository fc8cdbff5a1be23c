import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { EventStreamParser } from './event-stream.js';

export interface StatusEventsOptions {
  /** The events endpoint; resolved at each connection (discovery may be behind it). Undefined: nothing to subscribe to. */
  url: () => Promise<string | undefined>;
  /** A list changed: its uri, as the issuer announced it. */
  onChange: (uri: string) => void;
  /** The stream (re)opened: changes made while it was down were missed. */
  onOpen: () => void;
  /** First reconnection delay, in ms; doubled per failed attempt. */
  minDelayMs: number;
  maxDelayMs: number;
  /** A stream silent this long (not even a heartbeat) is taken as dead and reconnected, in ms. */
  idleTimeoutMs: number;
  /** Time allowed to connect and get the response headers, in ms. */
  connectTimeoutMs: number;
}

/**
 * A subscription to the issuer's status list events (a Tessera extension:
 * Server-Sent Events, `event: status_list`, `data: {"uri": "…"}`).
 * Reconnects with exponential backoff and full jitter when the stream
 * drops, and never keeps the process alive: its socket and timers are
 * unref'd. It uses node:http rather than `fetch`, whose sockets cannot be
 * unref'd.
 */
export class StatusEvents {
  readonly #options: StatusEventsOptions;
  #started = false;
  #closed = false;
  #request: ClientRequest | undefined;
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #retryMs: number | undefined;
  #lastEventId: string | undefined;
  /** Whether a stream is open now. */
  connected = false;
  /** How many times a stream was opened. */
  opened = 0;

  constructor(options: StatusEventsOptions) {
    this.#options = options;
  }

  /** Connects, once; later calls do nothing. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    void this.#connect();
  }

  close(): void {
    this.#closed = true;
    this.connected = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#request?.destroy();
    this.#request = undefined;
  }

  async #connect(): Promise<void> {
    this.#timer = undefined;
    let url: string | undefined;
    let target: URL;
    try {
      url = await this.#options.url();
      // The issuer announces nothing: lists are refetched on their ttl alone (and `start` stays a no-op).
      if (url === undefined) return;
      target = new URL(url);
    } catch {
      this.#retry();
      return;
    }
    if (this.#closed) return;
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-store' };
    if (this.#lastEventId !== undefined) headers['last-event-id'] = this.#lastEventId;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      this.connected = false;
      this.#request = undefined;
      req.destroy();
      this.#retry();
    };
    const req = send(target, { method: 'GET', headers });
    this.#request = req;
    req.on('socket', (socket) => socket.unref());
    req.setTimeout(this.#options.connectTimeoutMs, done);
    req.on('error', done);
    req.on('close', done);
    req.on('response', (res: IncomingMessage) => {
      const type = res.headers['content-type'] ?? '';
      if (res.statusCode !== 200 || !/^text\/event-stream\b/i.test(type)) {
        res.resume();
        done();
        return;
      }
      // Heartbeats keep it busy; silence this long means a dead peer.
      req.setTimeout(this.#options.idleTimeoutMs, done);
      this.connected = true;
      this.opened++;
      this.#attempt = 0;
      const parser = new EventStreamParser((event) => {
        if (event.id !== undefined) this.#lastEventId = event.id;
        if (event.event !== 'status_list') return;
        const uri = readUri(event.data);
        if (uri !== undefined) this.#options.onChange(uri);
      });
      res.on('data', (chunk: Buffer) => {
        if (!parser.push(chunk)) done();
        this.#retryMs = parser.retryMs;
      });
      res.on('end', done);
      res.on('error', done);
      this.#options.onOpen();
    });
    req.end();
  }

  #retry(): void {
    if (this.#closed) return;
    const { minDelayMs, maxDelayMs } = this.#options;
    const base = Math.min(maxDelayMs, Math.max(minDelayMs, this.#retryMs ?? minDelayMs) * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    // Half fixed, half random: many verifiers dropped at once do not come back in one wave.
    const delay = base / 2 + Math.random() * (base / 2);
    this.#timer = setTimeout(() => void this.#connect(), delay);
    this.#timer.unref();
  }
}

function readUri(data: string): string | undefined {
  try {
    const value: unknown = JSON.parse(data);
    const uri = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).uri : undefined;
    return typeof uri === 'string' ? uri : undefined;
  } catch {
    return undefined;
  }
}

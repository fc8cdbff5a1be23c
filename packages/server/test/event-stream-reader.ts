import { get, type IncomingHttpHeaders } from 'node:http';

/**
 * Reads a Server-Sent Events stream as a verifier would, for tests: each
 * `status_list` event's uri, in order, and the comments (heartbeats) counted.
 */
export interface EventReader {
  /** The next status_list uri, or a rejection after `timeoutMs`. */
  next(timeoutMs?: number): Promise<string>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  status: number;
  headers: IncomingHttpHeaders;
  /** The body of a refused stream (not 200). */
  body(): string;
  comments(): number;
  close(): void;
}

export async function readEvents(url: string): Promise<EventReader> {
  // node:http without an agent: one connection, gone with the stream (fetch's pool would keep one open).
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    get(url, { agent: false, headers: { accept: 'text/event-stream' } }, resolve).on('error', reject);
  });
  let text = '';
  const uris: string[] = [];
  const waiters: ((uri: string) => void)[] = [];
  let comments = 0;
  let buffer = '';
  const deliver = (uri: string) => {
    const w = waiters.shift();
    if (w) w(uri);
    else uris.push(uri);
  };
  res.setEncoding('utf8');
  const ended = (async () => {
    try {
      for await (const chunk of res as AsyncIterable<string>) {
        if (res.statusCode !== 200) {
          text += chunk;
          continue;
        }
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          if (lines.every((l) => l.startsWith(':'))) comments++;
          if (lines.includes('event: status_list')) {
            const data = lines.find((l) => l.startsWith('data: '));
            if (data) deliver((JSON.parse(data.slice(6)) as { uri: string }).uri);
          }
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    body: () => text,
    ended,
    comments: () => comments,
    next(timeoutMs = 1000) {
      const ready = uris.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(done), 1);
          reject(new Error(`no status_list event within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (uri: string) => {
          clearTimeout(timer);
          resolve(uri);
        };
        waiters.push(done);
      });
    },
    close: () => res.destroy(),
  };
}

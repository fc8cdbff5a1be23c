import type { Server } from 'node:http';
import type { Cleanup } from './cleanup.js';
import { abbreviate, brief, say, statusLine } from './narrate.js';

export interface Answer {
  status: number;
  headers: Headers;
  /** The parsed body if it was JSON, else undefined. */
  json: Record<string, unknown> | undefined;
  bytes: Buffer;
}

export interface CallOptions {
  /** Sent as `Authorization: Bearer …` (and shown abbreviated). */
  token?: string;
  /** Client credentials sent as `Authorization: Basic …` (RFC 6749 §2.3.1); the secret is never shown. */
  basic?: { clientId: string; clientSecret: string };
  /** Sent as a JSON body. */
  json?: unknown;
  /** Sent as a form body. */
  form?: URLSearchParams;
  headers?: Record<string, string>;
  /** Response headers worth showing, e.g. `www-authenticate`. */
  show?: string[];
}

/**
 * One HTTP request, narrated: the request line (with the token abbreviated)
 * and the answer's status, chosen headers and JSON body (redacted).
 */
export async function call(method: string, url: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.basic) headers.authorization = basicAuth(options.basic.clientId, options.basic.clientSecret);
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = options.form.toString();
  }
  let auth = '(no Authorization header)';
  if (options.token !== undefined) auth = `Bearer ${abbreviate(options.token)}`;
  if (options.basic) auth = `Basic ${options.basic.clientId}:«secret»`;
  say(`→ ${method} ${url}  ${auth}`);
  if (options.json !== undefined) say(`  body ${brief(options.json)}`);
  if (options.form) say(`  form ${brief(Object.fromEntries(options.form))}`);

  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(10_000) });
  const bytes = Buffer.from(await res.arrayBuffer());
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  const json = isJson && bytes.length > 0 ? (JSON.parse(bytes.toString()) as Record<string, unknown>) : undefined;

  say(`← ${statusLine(res.status)}`);
  for (const name of options.show ?? []) {
    const value = res.headers.get(name);
    if (value !== null) say(`  ${canonical(name)}: ${value}`);
  }
  if (json !== undefined) say(`  ${brief(json)}`);
  return { status: res.status, headers: res.headers, json, bytes };
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64'd. */
export function basicAuth(clientId: string, clientSecret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

function canonical(header: string): string {
  if (header === 'www-authenticate') return 'WWW-Authenticate';
  return header.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** Listens on a free port of 127.0.0.1 and registers the server's shutdown; returns its base URL. */
export async function listen(server: Server, name: string, cleanup: Cleanup): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  cleanup.defer(name, () => closeServer(server));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error(`${name} has no address`);
  return `http://127.0.0.1:${address.port}`;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

/**
 * An admin API call, narrated: the request line and body, the answer's
 * status and JSON. The admin key is never shown, not even abbreviated.
 */
export async function callAdmin(
  tessera: {
    admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  },
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  say(`→ ${method} ${path}  Bearer «admin key»`);
  if (body !== undefined) say(`  body ${brief(body)}`);
  const answer = await tessera.admin(method, path, body);
  say(`← ${statusLine(answer.status)}`);
  if (Object.keys(answer.json).length > 0) say(`  ${brief(answer.json)}`);
  return answer;
}

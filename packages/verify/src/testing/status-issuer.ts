import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';
import { SignJWT } from 'jose';
import { generateTestKey, signJwt, type TestKey } from './local-issuer.js';

/**
 * A test issuer with status lists, independent of the code under test:
 * discovery, a JWKS, Status List Tokens signed with jose, and a
 * Server-Sent Events stream announcing changes. Every list can be spoiled
 * in one way at a time, to check that the verifier refuses it.
 */
export interface ServedList {
  /** Bits per status. */
  bits: 1 | 2 | 4 | 8;
  /** The decompressed list. */
  bytes: Uint8Array;
  ttl: number | undefined;
  /** Seconds from now of `exp`; undefined for none. */
  expIn: number | undefined;
  /** One way to spoil the next answers. */
  fault?:
    | 'down'
    | 'hang'
    | 'foreign-key'
    | 'typ'
    | 'sub'
    | 'bits'
    | 'not-zlib'
    | 'expired'
    | 'iss'
    | 'unsigned'
    | 'older';
  fetches: number;
}

export interface StatusIssuer {
  issuer: string;
  key: TestKey;
  lists: Map<string, ServedList>;
  /** The uri of the list named `name`. */
  uri(name: string): string;
  /** Adds (or replaces) a list of `size` statuses, all valid. */
  addList(name: string, options?: { size?: number; bits?: 1 | 2 | 4 | 8; ttl?: number; expIn?: number }): ServedList;
  /** Sets status `value` at `idx` of the list (nothing announced). */
  setStatus(name: string, idx: number, value: number): void;
  /** Announces a change of the list on every open event stream. */
  announce(name: string): void;
  /** A JWT access token pointing at `idx` of list `name` (or with `status` as given). */
  token(name: string | undefined, idx?: number, status?: unknown): string;
  /** Open event streams. */
  streams: Set<ServerResponse>;
  /** How many event streams were opened in all. */
  streamsOpened: number;
  /** Ends every open event stream (as a restart or a proxy would). */
  dropStreams(): void;
  /** Whether the event stream endpoint answers 503 instead. */
  eventsDown: boolean;
  /** Whether discovery names the event stream. */
  eventsAdvertised: boolean;
  metadataFetches: number;
  /** Sends a heartbeat comment to every stream. */
  heartbeat(): void;
  close(): Promise<void>;
}

export async function startStatusIssuer(options: { audience?: string } = {}): Promise<StatusIssuer> {
  const audience = options.audience ?? 'calendar';
  const key = generateTestKey('ES256');
  const foreign = generateTestKey('ES256', key.kid);
  const hanging = new Set<ServerResponse>();
  let issuer = '';
  let lastIat = 0;

  async function listToken(name: string, list: ServedList): Promise<string> {
    const uri = state.uri(name);
    const now = Math.floor(Date.now() / 1000);
    // Each list is newer than the one before it, as a server re-signing lists would make them.
    const iat = list.fault === 'older' ? now - 3600 : Math.max(now, lastIat);
    if (list.fault !== 'older') lastIat = iat;
    const payload: Record<string, unknown> = {
      sub: list.fault === 'sub' ? state.uri(`${name}-other`) : uri,
      iss: list.fault === 'iss' ? 'https://elsewhere.example' : issuer,
      status_list: {
        bits: list.fault === 'bits' ? 3 : list.bits,
        lst: Buffer.from(list.fault === 'not-zlib' ? list.bytes : deflateSync(list.bytes)).toString('base64url'),
      },
    };
    if (list.ttl !== undefined) payload.ttl = list.ttl;
    const jwt = new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: list.fault === 'typ' ? 'at+jwt' : 'statuslist+jwt' })
      .setIssuedAt(iat);
    if (list.fault === 'expired') jwt.setExpirationTime(now - 120);
    else if (list.expIn !== undefined) jwt.setExpirationTime(now + list.expIn);
    const signed = await jwt.sign((list.fault === 'foreign-key' ? foreign : key).privateKey);
    if (list.fault === 'unsigned') return `${signed.slice(0, signed.lastIndexOf('.'))}.`;
    return signed;
  }

  const state: StatusIssuer = {
    issuer: '',
    key,
    lists: new Map(),
    streams: new Set(),
    streamsOpened: 0,
    eventsDown: false,
    eventsAdvertised: true,
    metadataFetches: 0,
    uri: (name) => `${issuer}/status/${name}`,
    addList(name, o = {}) {
      const bits = o.bits ?? 1;
      const list: ServedList = {
        bits,
        bytes: new Uint8Array(Math.ceil(((o.size ?? 1024) * bits) / 8)),
        ttl: o.ttl ?? 300,
        expIn: o.expIn ?? 3600,
        fetches: 0,
      };
      state.lists.set(name, list);
      return list;
    },
    setStatus(name, idx, value) {
      const list = state.lists.get(name);
      if (!list) throw new Error(`no list ${name}`);
      const bit = idx * list.bits;
      const byte = bit >>> 3;
      const mask = ((1 << list.bits) - 1) << (bit & 7);
      list.bytes[byte] = ((list.bytes[byte] as number) & ~mask) | ((value << (bit & 7)) & mask);
    },
    announce(name) {
      for (const res of state.streams)
        res.write(`event: status_list\ndata: ${JSON.stringify({ uri: state.uri(name) })}\n\n`);
    },
    token(name, idx = 0, status) {
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        iss: issuer,
        sub: 'task-service',
        client_id: 'task-service',
        aud: audience,
        iat: now,
        exp: now + 3600,
        jti: crypto.randomUUID(),
        scope: 'event.view',
      };
      if (status !== undefined) claims.status = status;
      else if (name !== undefined) claims.status = { status_list: { idx, uri: state.uri(name) } };
      return signJwt(key, claims);
    },
    dropStreams() {
      for (const res of state.streams) res.destroy();
      state.streams.clear();
    },
    heartbeat() {
      for (const res of state.streams) res.write(': heartbeat\n\n');
    },
    async close() {
      state.dropStreams();
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server: Server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = req.url ?? '/';
    if (path === '/.well-known/oauth-authorization-server') {
      state.metadataFetches++;
      return json(200, {
        issuer,
        jwks_uri: `${issuer}/jwks`,
        ...(state.eventsAdvertised ? { status_list_events_endpoint: `${issuer}/status-events` } : {}),
      });
    }
    if (path === '/jwks') return json(200, { keys: [key.jwk] });
    if (path === '/status-events') {
      if (state.eventsDown) return json(503, {});
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': hello\n\n');
      state.streams.add(res);
      state.streamsOpened++;
      res.on('close', () => state.streams.delete(res));
      return;
    }
    const name = path.startsWith('/status/') ? path.slice('/status/'.length) : undefined;
    const list = name === undefined ? undefined : state.lists.get(name);
    if (name === undefined || !list) return json(404, {});
    list.fetches++;
    if (list.fault === 'down') return json(503, {});
    if (list.fault === 'hang') {
      hanging.add(res);
      return;
    }
    listToken(name, list).then(
      (jwt) => {
        res.writeHead(200, { 'content-type': 'application/statuslist+jwt' });
        res.end(jwt);
      },
      () => json(500, {}),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.issuer = issuer;
  return state;
}

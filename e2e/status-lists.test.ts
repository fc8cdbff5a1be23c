import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { get, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { freshPostgres, requireRedis } from './support/backing-services.js';
import { basicAuth, startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * Status lists end to end against the built server, checked by hand as an
 * independent verifier would (jose against the JWKS, node:zlib): a
 * revocation sets the bit before it answers and is announced on the events
 * stream within a second, on one SQLite node and across two nodes sharing
 * PostgreSQL and Redis.
 */

type Status = { idx: number; uri: string };

async function post(node: TesseraProcess, path: string, body: string, authorization: string) {
  const r = await fetch(node.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body,
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

function statusOf(jwt: string): Status {
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString());
  return payload.status.status_list;
}

/** The status at `idx`, from the list served by `node`, verified against that node's JWKS. */
async function bit(node: TesseraProcess, issuer: string, { idx, uri }: Status): Promise<number> {
  const r = await fetch(node.url + uri.slice(issuer.length));
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/statuslist+jwt');
  const jwks = createRemoteJWKSet(new URL(`${node.url}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(await r.text(), jwks, { typ: 'statuslist+jwt', subject: uri, issuer });
  const { bits, lst } = payload.status_list as { bits: number; lst: string };
  assert.equal(bits, 1);
  const bytes = inflateSync(Buffer.from(lst, 'base64url'), { maxOutputLength: 1 << 20 });
  return ((bytes[idx >> 3] as number) >> (idx & 7)) & 1;
}

/** Subscribes to the events stream; `next` resolves with the next announced uri. */
async function subscribe(url: string) {
  const res = await new Promise<IncomingMessage>((resolve, reject) =>
    get(url, { agent: false }, resolve).on('error', reject),
  );
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/event-stream/);
  const uris: string[] = [];
  let buffer = '';
  res.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const data = lines.find((l) => l.startsWith('data: '));
      if (lines.includes('event: status_list') && data) uris.push(JSON.parse(data.slice(6)).uri);
    }
  });
  return {
    async next(uri: string, timeoutMs: number): Promise<boolean> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const at = uris.indexOf(uri);
        if (at !== -1) {
          uris.splice(0, at + 1);
          return true;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      return false;
    },
    close: () => res.destroy(),
  };
}

describe('status lists, one node on SQLite', () => {
  let node: TesseraProcess;
  before(async () => {
    node = await startTessera();
  });
  after(() => node?.stop());

  it('revocation sets the bit before it answers and is announced within a second', async (t) => {
    const discovery = (await (await fetch(`${node.url}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      string
    >;
    const c = await node.createClient({ scope: 'a', audience: ['x'] });
    const auth = basicAuth(c.client_id, c.client_secret);
    const token = (await post(node, '/oauth2/token', 'grant_type=client_credentials', auth)).body
      .access_token as string;
    const status = statusOf(token);
    assert.equal(await bit(node, node.url, status), 0);
    const events = await subscribe(discovery.status_list_events_endpoint as string);
    try {
      const started = Date.now();
      assert.equal((await post(node, '/oauth2/revoke', `token=${token}`, auth)).status, 200);
      assert.equal(await bit(node, node.url, status), 1);
      assert.ok(await events.next(status.uri, 1000), 'no event within 1 s');
      t.diagnostic(`announced ${Date.now() - started} ms after the revocation began`);
    } finally {
      events.close();
    }
  });
});

describe('status lists, two worker processes on one SQLite file (TESSERA_WORKERS=2)', () => {
  let node: TesseraProcess;
  before(async () => {
    node = await startTessera({ TESSERA_WORKERS: '2' });
  });
  after(() => node?.stop());

  it('every stream hears a revocation, whichever worker holds it and whichever revoked', async () => {
    const c = await node.createClient({ scope: 'a', audience: ['x'] });
    const auth = basicAuth(c.client_id, c.client_secret);
    // Several streams: the kernel spreads the connections over both workers.
    const streams = await Promise.all(
      Array.from({ length: 6 }, () => subscribe(`${node.url}/oauth2/status-lists/events`)),
    );
    try {
      for (let i = 0; i < 4; i++) {
        const token = (await post(node, '/oauth2/token', 'grant_type=client_credentials', auth)).body
          .access_token as string;
        const status = statusOf(token);
        assert.equal((await post(node, '/oauth2/revoke', `token=${token}`, auth)).status, 200);
        for (const s of streams) assert.ok(await s.next(status.uri, 1000), 'a stream missed the revocation');
        assert.equal(await bit(node, node.url, status), 1);
      }
    } finally {
      for (const s of streams) s.close();
    }
  });
});

describe('status lists, two nodes on PostgreSQL + Redis', () => {
  let a: TesseraProcess;
  let b: TesseraProcess;
  let db: Awaited<ReturnType<typeof freshPostgres>>;
  const issuer = 'http://tessera.cluster.test';

  before(async () => {
    db = await freshPostgres();
    const env = {
      TESSERA_DATABASE_URL: db.url,
      TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      TESSERA_ADMIN_KEY: `shared-admin-${randomBytes(8).toString('hex')}`,
      TESSERA_ISSUER: issuer,
      TESSERA_REDIS_URL: await requireRedis(),
    };
    a = await startTessera(env);
    b = await startTessera(env);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  it('a revocation on A reaches B’s subscribers within a second; B serves the bit; a deletion on A too', async (t) => {
    const c = await a.createClient({ scope: 'a', audience: ['x'] });
    const auth = basicAuth(c.client_id, c.client_secret);
    const issue = async () =>
      (await post(a, '/oauth2/token', 'grant_type=client_credentials', auth)).body.access_token as string;
    const events = await subscribe(`${b.url}/oauth2/status-lists/events`);
    try {
      // B's feed subscription connects in the background: wait until a change on A reaches it at all.
      const warm = Date.now();
      for (;;) {
        const token = await issue();
        await post(a, '/oauth2/revoke', `token=${token}`, auth);
        if (await events.next(statusOf(token).uri, 300)) break;
        assert.ok(Date.now() - warm < 10_000, 'B never heard of a change on A');
      }
      const token = await issue();
      const status = statusOf(token);
      assert.equal(await bit(b, issuer, status), 0);
      const started = Date.now();
      assert.equal((await post(a, '/oauth2/revoke', `token=${token}`, auth)).status, 200);
      assert.ok(await events.next(status.uri, 1000), 'no event on B within 1 s');
      t.diagnostic(`reached B's subscriber ${Date.now() - started} ms after the revocation on A began`);
      assert.equal(await bit(b, issuer, status), 1);

      const other = statusOf(await issue());
      assert.equal((await a.admin('DELETE', `/admin/clients/${c.client_id}`)).status, 204);
      assert.ok(await events.next(other.uri, 1000), 'no event on B within 1 s of the deletion');
      assert.equal(await bit(b, issuer, other), 1);
    } finally {
      events.close();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { basic, decodeJwt, type Harness, ISSUER, startHarness } from './harness.js';

/**
 * Status lists (draft-ietf-oauth-status-list, CONTRACT.md part two) through
 * the HTTP interface: every JWT points into a list, the list verifies
 * against the JWKS, and revocation, client deletion and the exchange
 * cascade set bits before their calls answer. Checked by hand with jose and
 * node:zlib, as an independent verifier would.
 */

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
type Client = { client_id: string; client_secret: string };
type Status = { idx: number; uri: string };

describe('status lists', () => {
  let h: Harness;
  let task: Client;
  let calendar: Client;

  const auth = (c: Client) => ({ authorization: basic(c.client_id, c.client_secret) });
  const post = (url: string, params: Record<string, string>, c: Client) =>
    h.inject({
      method: 'POST',
      url,
      headers: { ...auth(c), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(params).toString(),
    });
  const tokenFor = async (c: Client, params: Record<string, string> = {}) => {
    const r = await h.token({ grant_type: 'client_credentials', ...params }, auth(c));
    assert.equal(r.statusCode, 200, r.body);
    return r.json().access_token as string;
  };
  const statusOf = (jwt: string) => (decodeJwt(jwt).payload.status as { status_list: Status }).status_list;

  /** Fetches the list, verifies it as a verifier would, and returns the status at `idx`. */
  const bit = async ({ idx, uri }: Status): Promise<number> => {
    assert.ok(uri.startsWith(`${ISSUER}/`), uri);
    const r = await h.inject({ method: 'GET', url: uri.slice(ISSUER.length) });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.headers['content-type'], 'application/statuslist+jwt');
    const jwks = createLocalJWKSet((await h.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json());
    const { payload, protectedHeader } = await jwtVerify(r.body, jwks, {
      typ: 'statuslist+jwt',
      subject: uri,
      currentDate: new Date(h.clock.ms),
    });
    assert.equal(protectedHeader.typ, 'statuslist+jwt');
    assert.equal(typeof payload.ttl, 'number');
    assert.equal(typeof payload.exp, 'number');
    const list = payload.status_list as { bits: number; lst: string };
    assert.equal(list.bits, 1);
    const bytes = inflateSync(Buffer.from(list.lst, 'base64url'));
    assert.ok(idx < bytes.length * 8, 'the index lies within the list');
    return ((bytes[idx >> 3] as number) >> (idx & 7)) & 1;
  };

  before(async () => {
    h = await startHarness();
    task = await h.createClient({ client_id: 'task', scope: 'files.read', audience: ['calendar'] });
    calendar = await h.createClient({
      client_id: 'calendar',
      scope: 'files.read',
      audience: ['files'],
      grant_types: ['client_credentials', GRANT],
    });
  });
  after(() => h.close());

  it('puts a status claim in every JWT: consecutive indexes in one list under the issuer', async () => {
    const [a, b] = [statusOf(await tokenFor(task)), statusOf(await tokenFor(task))];
    assert.match(a.uri, /^http:\/\/tessera\.test\/oauth2\/status-lists\/[A-Za-z0-9_-]{22}$/);
    assert.equal(b.uri, a.uri);
    assert.equal(b.idx, a.idx + 1);
    assert.ok(Number.isSafeInteger(a.idx) && a.idx >= 0);
  });

  it('serves the list as a statuslist+jwt that verifies against the JWKS; revocation sets the bit before it answers', async () => {
    const token = await tokenFor(task);
    const status = statusOf(token);
    assert.equal(await bit(status), 0);
    const r = await post('/oauth2/revoke', { token }, task);
    assert.equal(r.statusCode, 200);
    assert.equal(await bit(status), 1);
    // Its neighbours stay valid.
    assert.equal(await bit({ ...status, idx: status.idx - 1 }), 0);
  });

  it('re-signs a list only when it changed', async () => {
    const status = statusOf(await tokenFor(task));
    const get = async () => (await h.inject({ method: 'GET', url: status.uri.slice(ISSUER.length) })).body;
    const first = await get();
    h.clock.advance(1);
    assert.equal(await get(), first);
    await post('/oauth2/revoke', { token: await tokenFor(task) }, task);
    assert.notEqual(await get(), first);
  });

  it('signs a list again with the new key after a rotation, and near its exp', async () => {
    const status = statusOf(await tokenFor(task));
    const get = async () => (await h.inject({ method: 'GET', url: status.uri.slice(ISSUER.length) })).body;
    const before = decodeJwt(await get());
    const rotated = await h.admin('POST', '/admin/keys/rotate');
    assert.equal(rotated.statusCode, 201);
    const after = decodeJwt(await get());
    assert.equal(after.header.kid, rotated.json().kid);
    assert.notEqual(after.header.kid, before.header.kid);
    assert.equal(await bit(status), 0);
    // Past half its lifetime (an hour), the same list is signed afresh.
    const exp = after.payload.exp as number;
    h.clock.advance(1801);
    const renewed = decodeJwt(await get());
    assert.ok((renewed.payload.exp as number) > exp);
  });

  it('deleting a client sets the bit of every token it was given', async () => {
    const doomed = await h.createClient({ scope: 'files.read', audience: ['calendar'] });
    const statuses = [statusOf(await tokenFor(doomed)), statusOf(await tokenFor(doomed))];
    const other = statusOf(await tokenFor(task));
    for (const s of statuses) assert.equal(await bit(s), 0);
    assert.equal((await h.admin('DELETE', `/admin/clients/${doomed.client_id}`)).statusCode, 204);
    for (const s of statuses) assert.equal(await bit(s), 1);
    assert.equal(await bit(other), 0);
  });

  it('revoking a token sets the bits of the tokens exchanged from it, down the chain', async () => {
    const subject = await tokenFor(task);
    const exchange = async (c: Client, subjectToken: string) => {
      const r = await h.token(
        { grant_type: GRANT, subject_token: subjectToken, subject_token_type: AT, audience: 'files' },
        auth(c),
      );
      assert.equal(r.statusCode, 200, r.body);
      return r.json().access_token as string;
    };
    const child = await exchange(calendar, subject);
    const grandchild = await exchange(calendar, child);
    const sibling = await exchange(calendar, await tokenFor(task));
    assert.equal(await bit(statusOf(child)), 0);
    assert.equal(await bit(statusOf(grandchild)), 0);
    assert.equal((await post('/oauth2/revoke', { token: subject }, task)).statusCode, 200);
    assert.equal(await bit(statusOf(subject)), 1);
    assert.equal(await bit(statusOf(child)), 1);
    assert.equal(await bit(statusOf(grandchild)), 1);
    assert.equal(await bit(statusOf(sibling)), 0);
  });

  it('deleting a client sets the bits of tokens exchanged from its tokens', async () => {
    const doomed = await h.createClient({ scope: 'files.read', audience: ['calendar'] });
    const r = await h.token(
      { grant_type: GRANT, subject_token: await tokenFor(doomed), subject_token_type: AT, audience: 'files' },
      auth(calendar),
    );
    const child = statusOf(r.json().access_token);
    assert.equal(await bit(child), 0);
    await h.admin('DELETE', `/admin/clients/${doomed.client_id}`);
    assert.equal(await bit(child), 1);
  });

  it('gives opaque tokens no status: introspection stays their check', async () => {
    const opaque = await h.createClient({ scope: 'files.read', audience: ['calendar'], access_token_format: 'opaque' });
    const token = await tokenFor(opaque);
    assert.ok(!token.startsWith('ey'));
    await post('/oauth2/revoke', { token }, opaque);
    assert.deepEqual((await post('/oauth2/introspect', { token }, task)).json(), { active: false });
  });

  it('answers 404 for any id that names no list, never a 500', async () => {
    const ids = [
      'AAAAAAAAAAAAAAAAAAAAAA',
      'x',
      '..%2F..%2Fetc%2Fpasswd',
      '%00',
      'a'.repeat(250),
      '%F0%9F%92%A9',
      "' OR 1=1 --",
    ];
    for (const id of ids) {
      const r = await h.inject({ method: 'GET', url: `/oauth2/status-lists/${id}` });
      assert.equal(r.statusCode, 404, `${id}: ${r.body}`);
      assert.equal(r.json().error, 'not_found');
    }
    // Malformed percent-encoding is refused by the router before any route: a 400, never a 500.
    const bad = await h.inject({ method: 'GET', url: '/oauth2/status-lists/AAAAAAAAAAAAAAAAAAAAA%' });
    assert.equal(bad.statusCode, 400);
    const long = await h.inject({ method: 'GET', url: `/oauth2/status-lists/${'a'.repeat(300)}` });
    assert.ok(long.statusCode === 404 || long.statusCode === 414, String(long.statusCode));
    const post405 = await h.inject({ method: 'POST', url: '/oauth2/status-lists/AAAAAAAAAAAAAAAAAAAAAA' });
    assert.equal(post405.statusCode, 405);
  });

  it('names the events stream in discovery, and refuses a status claim in client metadata', async () => {
    const d = (await h.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json();
    assert.equal(d.status_list_events_endpoint, `${ISSUER}/oauth2/status-lists/events`);
    const r = await h.admin('POST', '/admin/clients', { claims: { status: { status_list: { idx: 0, uri: 'x' } } } });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error, 'invalid_client_metadata');
  });

  it('a list ends once its last token has expired', async () => {
    const status = statusOf(await tokenFor(task));
    h.clock.advance(3 * 3600 + 120);
    const r = await h.inject({ method: 'GET', url: status.uri.slice(ISSUER.length) });
    assert.equal(r.statusCode, 404);
    // A new window, a new list.
    assert.notEqual(statusOf(await tokenFor(task)).uri, status.uri);
  });
});

describe('status lists switched off (TESSERA_STATUS_LISTS=false)', () => {
  it('issues JWTs without a status claim and names no events stream', async () => {
    const h = await startHarness({}, { TESSERA_STATUS_LISTS: 'false' });
    try {
      const c = await h.createClient({ scope: 'a', audience: ['x'] });
      const r = await h.token(
        { grant_type: 'client_credentials' },
        { authorization: basic(c.client_id, c.client_secret) },
      );
      assert.equal(decodeJwt(r.json().access_token).payload.status, undefined);
      const d = (await h.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json();
      assert.equal(d.status_list_events_endpoint, undefined);
      const l = await h.inject({ method: 'GET', url: '/oauth2/status-lists/AAAAAAAAAAAAAAAAAAAAAA' });
      assert.equal(l.statusCode, 404);
    } finally {
      await h.close();
    }
  });
});

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { TEST_POSTGRES_URL, useTestSchemas } from '../src/store/postgres/test-database.test-suite.js';
import { basic, decodeJwt, type Harness, ISSUER, startHarness, TOKEN_URL } from './harness.js';

/**
 * Token exchange (RFC 8693, CONTRACT.md part two) through the real HTTP
 * interface: the Task Service's token, exchanged by the Calendar Service for
 * one for the File Service, and again by the Drive Service; the bounds, the
 * policy metadata, the revocation cascade and every bad input.
 */

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const NOT_ACTIVE = { error: 'invalid_request', error_description: 'subject_token is not active' };

type Client = { client_id: string; client_secret: string };

describe('token exchange (RFC 8693)', () => {
  let h: Harness;
  let task: Client;
  let taskOpaque: Client;
  let calendar: Client;
  let drive: Client;
  let files: Client;

  const auth = (c: Client) => ({ authorization: basic(c.client_id, c.client_secret) });
  const post = (url: string, params: Record<string, string>, c: Client) =>
    h.inject({
      method: 'POST',
      url,
      headers: { ...auth(c), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(params).toString(),
    });
  const introspect = async (token: string) => (await post('/oauth2/introspect', { token }, files)).json();
  const revoke = (token: string, c: Client) => post('/oauth2/revoke', { token }, c);
  const tokenFor = async (c: Client, params: Record<string, string> = {}) => {
    const r = await h.token({ grant_type: 'client_credentials', ...params }, auth(c));
    assert.equal(r.statusCode, 200, r.body);
    return r.json().access_token as string;
  };
  const exchange = (c: Client, subject: string, params: Record<string, string | string[]> = {}, headers = {}) =>
    h.token(
      { grant_type: GRANT, subject_token: subject, subject_token_type: AT, ...params },
      { ...auth(c), ...headers },
    );
  const exchanged = async (c: Client, subject: string, params: Record<string, string | string[]> = {}) => {
    const r = await exchange(c, subject, params);
    assert.equal(r.statusCode, 200, r.body);
    return r.json().access_token as string;
  };
  const exchanger = (metadata: Record<string, unknown> = {}) =>
    h.createClient({
      scope: 'files.read files.write other',
      audience: ['files', 'archive'],
      grant_types: ['client_credentials', GRANT],
      ...metadata,
    });

  before(async () => {
    h = await startHarness();
    task = await h.createClient({
      client_id: 'task',
      scope: 'files.read files.write event.view',
      audience: ['calendar'],
    });
    taskOpaque = await h.createClient({
      client_id: 'task-opaque',
      scope: 'files.read',
      audience: ['calendar'],
      access_token_format: 'opaque',
    });
    calendar = await exchanger({ client_id: 'calendar' });
    drive = await exchanger({ client_id: 'drive', access_token_format: 'opaque' });
    files = await h.createClient({ client_id: 'files', grant_types: [] });
  });
  after(() => h.close());

  it('is listed in discovery and accepted in grant_types', async () => {
    const meta = (await h.inject({ url: '/.well-known/oauth-authorization-server' })).json();
    assert.deepEqual(meta.grant_types_supported, ['client_credentials', GRANT]);
  });

  it('exchanges a JWT: sub of the subject, client_id and act of the requesting client, the chain, issued_token_type', async () => {
    const subject = await tokenFor(task, { audience: 'calendar' });
    const r = await exchange(calendar, subject, { audience: 'files' });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.headers['cache-control'], 'no-store');
    const body = r.json();
    assert.deepEqual(
      { ...body, access_token: 'x' },
      {
        access_token: 'x',
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'files.read files.write',
        issued_token_type: AT,
      },
    );
    const root = decodeJwt(subject).payload;
    const { payload } = decodeJwt(body.access_token);
    const now = Math.floor(h.clock.ms / 1000);
    assert.deepEqual(
      { ...payload, jti: 'x', status: 'x' },
      {
        iss: ISSUER,
        sub: 'task',
        client_id: 'calendar',
        aud: 'files',
        iat: now,
        nbf: now,
        exp: root.exp,
        jti: 'x',
        scope: 'files.read files.write',
        scp: ['files.read', 'files.write'],
        act: { sub: 'calendar' },
        tessera_chain: [{ jti: root.jti, client_id: 'task' }],
        status: 'x',
      },
    );
    const seen = await introspect(body.access_token);
    assert.equal(seen.active, true);
    assert.equal(seen.sub, 'task');
    assert.equal(seen.client_id, 'calendar');
    assert.deepEqual(seen.act, { sub: 'calendar' });
    assert.equal(seen.tessera_chain, undefined, 'the chain is not reported');
  });

  it('exchanges an opaque subject token, and issues opaque tokens that keep act and the chain in their row', async () => {
    const subject = await tokenFor(taskOpaque);
    const root = await introspect(subject);
    const token = await exchanged(drive, subject, { resource: 'archive' });
    assert.match(token, /^tessera_at_/);
    const seen = await introspect(token);
    assert.deepEqual(
      { ...seen, jti: 'x', iat: 0 },
      {
        active: true,
        scope: 'files.read',
        client_id: 'drive',
        sub: 'task-opaque',
        aud: 'archive',
        iss: ISSUER,
        exp: root.exp,
        iat: 0,
        jti: 'x',
        token_type: 'Bearer',
        act: { sub: 'drive' },
      },
    );
    const row = await h.tessera.ctx.store.getOpaqueToken(seen.jti);
    assert.deepEqual(row?.extension, {
      sub: 'task-opaque',
      act: { sub: 'drive' },
      tessera_chain: [{ jti: root.jti, client_id: 'task-opaque' }],
    });
  });

  it('exchanged twice: act.act names the first actor and both ancestors are carried', async () => {
    const t0 = await tokenFor(task);
    const t1 = await exchanged(calendar, t0);
    const t2 = await exchanged(drive, t1, { scope: 'files.read' });
    const [i0, i1, i2] = [await introspect(t0), await introspect(t1), await introspect(t2)];
    assert.equal(i2.sub, 'task');
    assert.equal(i2.client_id, 'drive');
    assert.deepEqual(i2.act, { sub: 'drive', act: { sub: 'calendar' } });
    assert.equal(i2.exp, i0.exp);
    assert.deepEqual((await h.tessera.ctx.store.getOpaqueToken(i2.jti))?.extension?.tessera_chain, [
      { jti: i1.jti, client_id: 'calendar' },
      { jti: i0.jti, client_id: 'task' },
    ]);
  });

  it('a subject token verified once is remembered only as itself: the same signature on other claims is refused', async () => {
    const subject = await tokenFor(task, { scope: 'files.read' });
    assert.equal((await exchange(calendar, subject)).statusCode, 200);
    const [header, payload, signature] = subject.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, scope: 'files.read files.write' })).toString('base64url');
    assert.deepEqual((await exchange(calendar, `${header}.${forged}.${signature}`)).json(), NOT_ACTIVE);
    // And the remembered one is still checked against the denylist.
    await revoke(subject, task);
    assert.deepEqual((await exchange(calendar, subject)).json(), NOT_ACTIVE);
  });

  describe('revocation cascade', () => {
    it('revoking the root makes both descendants inactive, at introspection and as subject tokens', async () => {
      const t0 = await tokenFor(task);
      const t1 = await exchanged(calendar, t0);
      const t2 = await exchanged(drive, t1);
      assert.equal((await revoke(t0, task)).statusCode, 200);
      for (const t of [t0, t1, t2]) assert.deepEqual(await introspect(t), { active: false });
      assert.deepEqual((await exchange(drive, t1)).json(), NOT_ACTIVE);
      assert.deepEqual((await exchange(calendar, t2)).json(), NOT_ACTIVE);
    });

    it('revoking the middle one leaves the root active', async () => {
      const t0 = await tokenFor(task);
      const t1 = await exchanged(calendar, t0);
      const t2 = await exchanged(drive, t1);
      assert.equal((await revoke(t1, calendar)).statusCode, 200);
      assert.equal((await introspect(t0)).active, true);
      assert.deepEqual(await introspect(t1), { active: false });
      assert.deepEqual(await introspect(t2), { active: false });
    });

    it('revoking an opaque root (its row deleted) reaches its descendants through the denylist', async () => {
      const t0 = await tokenFor(taskOpaque);
      const t1 = await exchanged(calendar, t0);
      const t2 = await exchanged(drive, t1);
      assert.equal((await introspect(t2)).active, true);
      assert.equal((await revoke(t0, taskOpaque)).statusCode, 200);
      for (const t of [t0, t1, t2]) assert.deepEqual(await introspect(t), { active: false });
    });

    it('deleting the root client makes the tokens exchanged from its tokens inactive too', async () => {
      const gone = await h.createClient({ scope: 'files.read' });
      const t0 = await tokenFor(gone);
      const t1 = await exchanged(calendar, t0);
      assert.equal((await h.admin('DELETE', `/admin/clients/${gone.client_id}`)).statusCode, 204);
      assert.deepEqual(await introspect(t1), { active: false });
    });
  });

  describe('never widening', () => {
    it('scopes: within the subject token and the client; a wider one is invalid_scope', async () => {
      const subject = await tokenFor(task, { scope: 'files.read event.view' });
      const narrowed = await exchange(calendar, subject, { scope: 'files.read' });
      assert.equal(narrowed.json().scope, 'files.read');
      // No scope asked for: what both allow.
      assert.equal((await exchange(calendar, subject)).json().scope, 'files.read');
      // The client may have `other`, the subject has not; the subject has event.view, the client has not.
      for (const scope of ['files.write', 'other', 'event.view', 'files.read other']) {
        const r = await exchange(calendar, subject, { scope });
        assert.equal(r.statusCode, 400);
        assert.deepEqual(r.json(), {
          error: 'invalid_scope',
          error_description: `scope not within the client's and the subject token's: ${scope.replace('files.read ', '')}`,
        });
      }
    });

    it('a subject token with an empty scope bounds the exchange to no scope', async () => {
      const bare = await h.createClient({ scope: '' });
      const r = await exchange(calendar, await tokenFor(bare));
      assert.equal(r.json().scope, '');
      assert.equal(
        (await exchange(calendar, await tokenFor(bare), { scope: 'files.read' })).json().error,
        'invalid_scope',
      );
    });

    it('audience: one the requesting client is allowed, else invalid_target', async () => {
      const subject = await tokenFor(task);
      assert.equal(decodeJwt(await exchanged(calendar, subject, { audience: 'archive' })).payload.aud, 'archive');
      assert.deepEqual(decodeJwt(await exchanged(calendar, subject)).payload.aud, ['files', 'archive']);
      for (const params of [{ audience: 'calendar' }, { resource: 'https://elsewhere.example' }] as Record<
        string,
        string
      >[]) {
        const r = await exchange(calendar, subject, params);
        assert.equal(r.statusCode, 400);
        assert.deepEqual(r.json(), {
          error: 'invalid_target',
          error_description: `audience not allowed for this client: ${Object.values(params)[0]}`,
        });
      }
    });

    it('expires no later than the subject token, and no later than the client allows', async () => {
      const short = await h.createClient({ scope: 'files.read', access_token_ttl: 600 });
      const subject = await tokenFor(short);
      h.clock.advance(100);
      const r = (await exchange(calendar, subject)).json();
      assert.equal(r.expires_in, 500);
      assert.equal(decodeJwt(r.access_token).payload.exp, decodeJwt(subject).payload.exp);
      const brief = await exchanger({ access_token_ttl: 60 });
      const capped = (await exchange(brief, subject)).json();
      assert.equal(capped.expires_in, 60);
      h.clock.advance(500);
      assert.deepEqual((await exchange(calendar, subject)).json(), NOT_ACTIVE);
    });
  });

  it('a DPoP proof binds the exchanged token like any other (cnf.jkt, token_type DPoP)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const proof = await new SignJWT({
      jti: randomUUID(),
      htm: 'POST',
      htu: TOKEN_URL,
      iat: Math.floor(h.clock.ms / 1000),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .sign(privateKey);
    const r = await exchange(calendar, await tokenFor(task), {}, { dpop: proof });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().token_type, 'DPoP');
    assert.equal(r.json().issued_token_type, AT);
    assert.deepEqual(decodeJwt(r.json().access_token).payload.cnf, { jkt: await calculateJwkThumbprint(jwk) });
  });

  describe('policy metadata', () => {
    it('token_exchange_subject_clients: only tokens of the listed clients', async () => {
      const picky = await exchanger({ token_exchange_subject_clients: ['task-opaque'] });
      assert.deepEqual(picky.token_exchange_subject_clients, ['task-opaque']);
      const r = await exchange(picky, await tokenFor(task));
      assert.equal(r.statusCode, 400);
      assert.deepEqual(r.json(), {
        error: 'invalid_request',
        error_description: "the client may not act for the subject token's client",
      });
      assert.equal((await exchange(picky, await tokenFor(taskOpaque))).statusCode, 200);
    });

    it('token_exchange_max_depth: how many actors the new token may name', async () => {
      const shallow = await exchanger({ token_exchange_max_depth: 1 });
      const t0 = await tokenFor(task);
      assert.equal((await exchange(shallow, t0)).statusCode, 200);
      const r = await exchange(shallow, await exchanged(calendar, t0));
      assert.equal(r.statusCode, 400);
      assert.deepEqual(r.json(), {
        error: 'invalid_request',
        error_description: 'the delegation chain would be longer than token_exchange_max_depth allows',
      });
    });

    it('the default depth is 5 actors', async () => {
      let token = await tokenFor(task);
      for (let i = 0; i < 5; i++) token = await exchanged(i % 2 === 0 ? calendar : drive, token);
      assert.equal((await exchange(calendar, token)).json().error_description.includes('max_depth'), true);
    });

    it('refuses bad policy values and a client claim named like the chain', async () => {
      for (const [body, description] of [
        [{ token_exchange_max_depth: 11 }, 'token_exchange_max_depth: an integer from 1 to 10'],
        [{ token_exchange_max_depth: 0 }, 'token_exchange_max_depth: an integer from 1 to 10'],
        [{ token_exchange_max_depth: 2.5 }, 'token_exchange_max_depth: an integer from 1 to 10'],
        [
          { token_exchange_subject_clients: 'task' },
          'token_exchange_subject_clients: a list of at most 100 client_ids',
        ],
        [{ token_exchange_subject_clients: [''] }, 'token_exchange_subject_clients: a list of at most 100 client_ids'],
        [{ claims: { tessera_chain: [] } }, 'claims: registered claims cannot be set: tessera_chain'],
      ] as const) {
        const r = await h.admin('POST', '/admin/clients', body);
        assert.equal(r.statusCode, 400);
        assert.deepEqual(r.json(), { error: 'invalid_client_metadata', error_description: description });
      }
    });
  });

  describe('actor tokens (RFC 8693 §2.1)', () => {
    it('an actor token naming the requesting client is accepted; act still names the client', async () => {
      const r = await exchange(calendar, await tokenFor(task), {
        actor_token: await tokenFor(calendar),
        actor_token_type: AT,
      });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(decodeJwt(r.json().access_token).payload.act, { sub: 'calendar' });
    });

    it('an actor token of another party, or an inactive one, is invalid_request', async () => {
      const subject = await tokenFor(task);
      const other = await exchange(calendar, subject, { actor_token: await tokenFor(drive), actor_token_type: AT });
      assert.deepEqual(other.json(), {
        error: 'invalid_request',
        error_description: 'actor_token does not name the requesting client',
      });
      const dead = await exchange(calendar, subject, { actor_token: 'nonsense', actor_token_type: AT });
      assert.deepEqual(dead.json(), { error: 'invalid_request', error_description: 'actor_token is not active' });
    });
  });

  describe('bad input: 400 with an exact body, nothing issued', () => {
    const cases: [string, () => Promise<Record<string, string | string[]>>, (() => Client) | undefined, unknown][] = [];
    const bad = (
      name: string,
      params: () => Promise<Record<string, string | string[]>>,
      body: unknown,
      as?: () => Client,
    ) => cases.push([name, params, as, body]);
    // The refused requests are the refuser's (but the one that is about its client): none may issue a token.
    const subject = () => tokenFor(task);
    const req = (d: string) => ({ error: 'invalid_request', error_description: d });

    bad('no subject_token', async () => ({ subject_token_type: AT }), req('subject_token is required'));
    bad(
      'no subject_token_type',
      async () => ({ subject_token: await subject() }),
      req('subject_token_type is required'),
    );
    bad(
      'an unknown subject_token_type',
      async () => ({ subject_token: await subject(), subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }),
      req(`subject_token_type: must be ${AT} or ${JWT}`),
    );
    bad(
      'an unparseable subject token',
      async () => ({ subject_token: 'not a token', subject_token_type: AT }),
      NOT_ACTIVE,
    );
    bad(
      'a JWT from another issuer',
      async () => {
        const { privateKey } = await generateKeyPair('ES256');
        const foreign = await new SignJWT({ sub: 'task', client_id: 'task', jti: randomUUID(), scope: 'files.read' })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k' })
          .setIssuer('https://elsewhere.example')
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(privateKey);
        return { subject_token: foreign, subject_token_type: JWT };
      },
      NOT_ACTIVE,
    );
    bad(
      'a revoked subject token',
      async () => {
        const t = await subject();
        await revoke(t, task);
        return { subject_token: t, subject_token_type: AT };
      },
      NOT_ACTIVE,
    );
    bad(
      'an opaque token given as a JWT',
      async () => ({ subject_token: await tokenFor(taskOpaque), subject_token_type: JWT }),
      NOT_ACTIVE,
    );
    bad(
      'a requested_token_type other than the access token',
      async () => ({ subject_token: await subject(), subject_token_type: AT, requested_token_type: JWT }),
      req(`requested_token_type: only ${AT} is issued`),
    );
    bad(
      'actor_token_type without actor_token',
      async () => ({ subject_token: await subject(), subject_token_type: AT, actor_token_type: AT }),
      req('actor_token_type is only sent with actor_token'),
    );
    bad(
      'actor_token without actor_token_type',
      async () => ({ subject_token: await subject(), subject_token_type: AT, actor_token: await subject() }),
      req('actor_token_type is required with actor_token'),
    );
    bad(
      'a repeated subject_token',
      async () => ({ subject_token: [await subject(), await subject()], subject_token_type: AT }),
      req('repeated parameter: subject_token'),
    );
    bad(
      'a client without the grant',
      async () => ({ subject_token: await subject(), subject_token_type: AT }),
      { error: 'unauthorized_client', error_description: `the client is not allowed the ${GRANT} grant` },
      // The Task Service lists only client_credentials.
      () => task,
    );

    let refuser: Client;
    before(async () => {
      refuser = await exchanger({ client_id: 'refuser' });
    });

    for (const [name, params, as, body] of cases) {
      it(name, async () => {
        const r = await h.token({ grant_type: GRANT, ...(await params()) }, auth(as?.() ?? refuser));
        assert.equal(r.statusCode, 400);
        assert.deepEqual(r.json(), body);
      });
    }

    it('issued nothing to the refused clients', async () => {
      const text = await h.tessera.ctx.metrics.registry.getSingleMetricAsString('tessera_tokens_issued_total');
      assert.doesNotMatch(text, /client_id="refuser"/);
      // task got its subject tokens by client credentials, all JWTs: the refused exchange would have been one more.
      assert.match(text, /client_id="task"/);
    });
  });
});

const schemas = useTestSchemas();
const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The cascade where it is shared: two nodes on one PostgreSQL schema (the
 * opaque rows, their chain in the JSON column) and one Redis (the
 * denylist). A chain made on one node, its root revoked on the other.
 */
describe('token exchange across nodes (PostgreSQL + Redis)', () => {
  const nodes: Harness[] = [];
  const secret = 'a-shared-secret-that-is-long-enough-0123';
  const task = { client_id: `task-${randomUUID()}`, client_secret: secret };
  const calendar = { client_id: `calendar-${randomUUID()}`, client_secret: secret };
  const drive = { client_id: `drive-${randomUUID()}`, client_secret: secret };
  const auth = (c: Client) => ({ authorization: basic(c.client_id, c.client_secret) });
  const form = (h: Harness, url: string, params: Record<string, string>, c: Client) =>
    h.inject({
      method: 'POST',
      url,
      headers: { ...auth(c), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(params).toString(),
    });
  const issue = async (h: Harness, c: Client, params: Record<string, string>) => {
    const r = await h.token(params, auth(c));
    assert.equal(r.statusCode, 200, r.body);
    return r.json().access_token as string;
  };

  before(async () => {
    const url = new URL(TEST_POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${await schemas.freshSchema()}`);
    const env = {
      TESSERA_DATABASE_URL: url.toString(),
      TESSERA_REDIS_URL: REDIS_URL,
      TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    };
    for (let i = 0; i < 2; i++) nodes.push(await startHarness({}, env));
    const first = nodes[0] as Harness;
    await first.createClient({ ...task, scope: 'files.read', access_token_format: 'opaque' });
    const exchanger = { scope: 'files.read', audience: ['files'], grant_types: [GRANT] };
    await first.createClient({ ...calendar, ...exchanger });
    await first.createClient({ ...drive, ...exchanger, access_token_format: 'opaque' });
  });
  after(async () => {
    for (const h of nodes) await h.close();
  });

  it('revoking the opaque root on one node ends the chain made on the other', async () => {
    const [a, b] = nodes as [Harness, Harness];
    const t0 = await issue(a, task, { grant_type: 'client_credentials' });
    const exchange = (c: Client, subject: string) =>
      issue(a, c, { grant_type: GRANT, subject_token: subject, subject_token_type: AT });
    const t1 = await exchange(calendar, t0);
    const t2 = await exchange(drive, t1);
    const introspect = async (h: Harness, token: string) =>
      (await form(h, '/oauth2/introspect', { token }, calendar)).json();
    const seen = await introspect(b, t2);
    assert.equal(seen.active, true);
    assert.deepEqual(seen.act, { sub: drive.client_id, act: { sub: calendar.client_id } });
    assert.equal(seen.sub, task.client_id);
    assert.equal((await form(b, '/oauth2/revoke', { token: t0 }, task)).statusCode, 200);
    for (const h of nodes) for (const t of [t0, t1, t2]) assert.deepEqual(await introspect(h, t), { active: false });
  });
});

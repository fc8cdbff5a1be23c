import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { calculateJwkThumbprint, EmbeddedJWK, type JWK, jwtVerify } from 'jose';
import {
  createTokenClient,
  InvalidTokenResponseError,
  type TokenClientOptions,
  TokenEndpointError,
  type TokenFetchedEvent,
} from './index.js';
import { FakeTime, settle } from './testing/fake-time.js';
import { type LocalServer, sendJson, startLocalServer } from './testing/local-server.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
const START = Date.UTC(2030, 0, 1);

interface Seen {
  form: URLSearchParams;
  authorization: string | undefined;
  dpop: string | undefined;
}

/** A subject token shaped like a JWT, expiring at `expSec`; only its payload is read by the client. */
function subjectJwt(sub: string, expSec: number): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'ES256', typ: 'at+jwt' })}.${part({ sub, exp: expSec })}.c2lnbmF0dXJl`;
}

/**
 * A token endpoint over real HTTP that records every request and answers
 * with what the test scripted: by default a new token per request, with
 * `issued_token_type` (RFC 8693 §2.2.1).
 */
describe('exchangeToken (RFC 8693)', () => {
  let server: LocalServer;
  let seen: Seen[];
  let answer: (seen: Seen, index: number) => { status: number; body: Record<string, unknown> };
  let held: Promise<void> | undefined;

  before(async () => {
    server = await startLocalServer(async (request, response) => {
      const record: Seen = {
        form: new URLSearchParams(request.body),
        authorization: request.headers.authorization,
        dpop: request.headers.dpop as string | undefined,
      };
      seen.push(record);
      if (held) await held;
      const { status, body } = answer(record, seen.length - 1);
      sendJson(response, status, body, { 'cache-control': 'no-store' });
    });
  });
  after(() => server.close());
  beforeEach(() => {
    seen = [];
    held = undefined;
    answer = (_, index) => ({
      status: 200,
      body: {
        access_token: `exchanged-${index + 1}`,
        token_type: 'Bearer',
        expires_in: 300,
        scope: 'file.read',
        issued_token_type: ACCESS,
      },
    });
  });

  function setup(options: Partial<TokenClientOptions> = {}) {
    const time = new FakeTime(START);
    const client = createTokenClient({
      issuer: server.url,
      tokenEndpoint: `${server.url}/token`,
      clientId: 'calendar-service',
      clientSecret: 'calendar-secret',
      clock: time,
      timers: time,
      random: () => 0.5,
      retry: { maxAttempts: 1 },
      ...options,
    });
    return { client, time };
  }

  it('sends exactly the RFC 8693 form, authenticated as the client, and returns the new token', async () => {
    const { client } = setup();
    const subject = subjectJwt('task-service', START / 1000 + 3600);
    const token = await client.exchangeToken({ subjectToken: subject, audience: 'file', scope: 'file.read' });
    assert.equal(token, 'exchanged-1');
    assert.equal(seen.length, 1);
    assert.deepEqual(
      [...(seen[0]?.form ?? [])],
      [
        ['grant_type', GRANT],
        ['subject_token', subject],
        ['subject_token_type', ACCESS],
        ['scope', 'file.read'],
        ['audience', 'file'],
      ],
    );
    const basic = `Basic ${Buffer.from('calendar-service:calendar-secret').toString('base64')}`;
    assert.equal(seen[0]?.authorization, basic);
    assert.equal(seen[0]?.dpop, undefined);
  });

  it('sends resource and a jwt subject_token_type when asked', async () => {
    const { client } = setup();
    const issued = await client.exchangeIssuedToken({
      subjectToken: 'opaque-subject',
      subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
      audience: 'file',
      resource: ['https://files.example/b', 'https://files.example/a'],
    });
    assert.deepEqual(issued, { accessToken: 'exchanged-1', tokenType: 'Bearer' });
    assert.deepEqual(
      [...(seen[0]?.form ?? [])],
      [
        ['grant_type', GRANT],
        ['subject_token', 'opaque-subject'],
        ['subject_token_type', 'urn:ietf:params:oauth:token-type:jwt'],
        ['resource', 'https://files.example/a'],
        ['resource', 'https://files.example/b'],
        ['audience', 'file'],
      ],
    );
  });

  it('caches per subject token + audience + scope, apart from getToken', async () => {
    const { client } = setup();
    const a = subjectJwt('task-service', START / 1000 + 3600);
    const b = subjectJwt('report-service', START / 1000 + 3600);
    assert.equal(await client.exchangeToken({ subjectToken: a, audience: 'file', scope: 'file.read' }), 'exchanged-1');
    assert.equal(await client.exchangeToken({ subjectToken: a, audience: 'file', scope: 'file.read' }), 'exchanged-1');
    assert.equal(
      await client.exchangeToken({ subjectToken: a, audience: ['file'], scope: ['file.read'] }),
      'exchanged-1',
    );
    assert.equal(seen.length, 1, 'the same exchange is served from the cache');
    assert.equal(await client.exchangeToken({ subjectToken: b, audience: 'file', scope: 'file.read' }), 'exchanged-2');
    assert.equal(await client.exchangeToken({ subjectToken: a, audience: 'file', scope: 'file.list' }), 'exchanged-3');
    assert.equal(await client.exchangeToken({ subjectToken: a, audience: 'mail', scope: 'file.read' }), 'exchanged-4');
    assert.equal(seen.length, 4, 'another subject, scope or audience is another exchange');
    assert.equal(client.exchangeCacheSize, 4);
    assert.equal(client.cacheSize, 0, 'exchanged tokens are not client-credentials tokens');
    assert.equal(await client.getToken({ audience: 'file', scope: 'file.read' }), 'exchanged-5');
    assert.equal(seen[4]?.form.get('grant_type'), 'client_credentials');
  });

  it('shares one request among concurrent identical exchanges', async () => {
    const { client } = setup();
    let release!: () => void;
    held = new Promise((resolve) => {
      release = resolve;
    });
    const subjectToken = subjectJwt('task-service', START / 1000 + 3600);
    const callers = Array.from({ length: 50 }, () =>
      client.exchangeToken({ subjectToken, audience: 'file', scope: 'file.read' }),
    );
    while (seen.length === 0) await settle();
    await settle();
    release();
    const tokens = await Promise.all(callers);
    assert.ok(tokens.every((t) => t === 'exchanged-1'));
    assert.equal(seen.length, 1);
  });

  it('never serves an exchanged token past the subject JWT’s exp, whatever expires_in says', async () => {
    const { client, time } = setup();
    // The subject expires in 60 s; the answer claims 300 s. 10 s skew: served until 50 s.
    const subjectToken = subjectJwt('task-service', START / 1000 + 60);
    const target = { subjectToken, audience: 'file', scope: 'file.read' };
    assert.equal(await client.exchangeToken(target), 'exchanged-1');
    await time.advance(49_999);
    assert.equal(await client.exchangeToken(target), 'exchanged-1');
    assert.equal(seen.length, 1, 'no renewal ahead: a new token could not outlive the subject either');
    await time.advance(1);
    assert.equal(await client.exchangeToken(target), 'exchanged-2');
    assert.equal(seen.length, 2);
  });

  it('keeps an exchange from an opaque subject for the answer’s expires_in only', async () => {
    const { client, time } = setup({ refreshRatio: 1 });
    const target = { subjectToken: 'tessera_at_opaque', audience: 'file', scope: 'file.read' };
    await client.exchangeToken(target);
    await time.advance(289_999); // 300 s − 10 s skew
    assert.equal(await client.exchangeToken(target), 'exchanged-1');
    await time.advance(1);
    assert.equal(await client.exchangeToken(target), 'exchanged-2');
  });

  it('maps refusals to TokenEndpointError with the server’s code and description, caching none', async () => {
    const { client } = setup();
    const refusals = [
      ['invalid_request', 'The subject token is not active'],
      ['invalid_scope', 'The requested scope exceeds the subject token'],
      ['invalid_target', 'The audience is not allowed for this client'],
    ] as const;
    for (const [error, description] of refusals) {
      answer = () => ({ status: 400, body: { error, error_description: description } });
      const before = seen.length;
      const err = await client
        .exchangeToken({ subjectToken: 'tessera_at_x', audience: 'file', scope: 'file.read' })
        .then(
          () => assert.fail('expected a refusal'),
          (e: unknown) => e,
        );
      assert.ok(err instanceof TokenEndpointError, String(err));
      assert.equal(err.status, 400);
      assert.equal(err.error, error);
      assert.equal(err.errorDescription, description);
      assert.equal(err.retryable, false);
      assert.equal(seen.length, before + 1, 'one request, no retry');
    }
    assert.equal(client.exchangeCacheSize, 0, 'a refused exchange leaves nothing behind');
  });

  it('refuses an answer that is not an access token', async () => {
    const { client } = setup();
    answer = () => ({
      status: 200,
      body: {
        access_token: 'id-token',
        token_type: 'N_A',
        issued_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      },
    });
    await assert.rejects(
      client.exchangeToken({ subjectToken: 'tessera_at_x', audience: 'file' }),
      (e: unknown) => e instanceof InvalidTokenResponseError && /issued_token_type/.test(e.message),
    );
  });

  it('rejects a missing subject token before any request', async () => {
    const { client } = setup();
    await assert.rejects(client.exchangeToken({ subjectToken: '', audience: 'file' }), TypeError);
    await assert.rejects(
      client.exchangeToken({ subjectToken: 'x', subjectTokenType: 'urn:other' as never, audience: 'file' }),
      TypeError,
    );
    assert.equal(seen.length, 0);
  });

  it('bounds the exchange cache like the token cache', async () => {
    const { client } = setup({ maxCacheEntries: 2 });
    for (const subjectToken of ['s1', 's2', 's3']) await client.exchangeToken({ subjectToken, audience: 'file' });
    assert.equal(client.exchangeCacheSize, 2);
  });

  it('reports exchanges through the hooks without the tokens', async () => {
    const events: TokenFetchedEvent[] = [];
    const { client } = setup({ hooks: { onTokenFetched: (e) => events.push(e) } });
    await client.exchangeToken({ subjectToken: 'tessera_at_secret_subject', audience: 'file', scope: 'file.read' });
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]?.audience, ['file']);
    assert.equal(events[0]?.grant, 'token_exchange');
    await client.getToken({ audience: 'file' });
    assert.equal(events[1]?.grant, 'client_credentials');
    assert.doesNotMatch(JSON.stringify(events), /tessera_at_secret_subject|exchanged-1/);
  });

  it('fetchOnBehalfOf calls the next service with the exchanged token', async () => {
    const { client } = setup();
    const calls: (string | undefined)[] = [];
    const downstream = await startLocalServer((request, response) => {
      calls.push(request.headers.authorization);
      sendJson(response, 200, { ok: true });
    });
    try {
      const res = await client.fetchOnBehalfOf('tessera_at_subject', `${downstream.url}/files/42`, undefined, {
        audience: 'file',
        scope: 'file.read',
      });
      assert.equal(res.status, 200);
      assert.deepEqual(calls, ['Bearer exchanged-1']);
      assert.equal(seen[0]?.form.get('subject_token'), 'tessera_at_subject');
    } finally {
      await downstream.close();
    }
  });

  it('with DPoP, proves the key on the exchange request and gets a bound token', async () => {
    const { client } = setup({ dpop: true });
    answer = (_, index) => ({
      status: 200,
      body: { access_token: `bound-${index + 1}`, token_type: 'DPoP', expires_in: 300, issued_token_type: ACCESS },
    });
    const issued = await client.exchangeIssuedToken({ subjectToken: 'tessera_at_s', audience: 'file' });
    assert.deepEqual(issued, { accessToken: 'bound-1', tokenType: 'DPoP' });
    const proof = seen[0]?.dpop;
    assert.ok(proof, 'a DPoP header on the exchange request');
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' });
    assert.equal(payload.htm, 'POST');
    assert.equal(payload.htu, `${server.url}/token`);
    assert.equal(await calculateJwkThumbprint(protectedHeader.jwk as JWK, 'sha256'), client.dpopThumbprint);
    assert.equal(seen[0]?.form.get('grant_type'), GRANT);
  });
});

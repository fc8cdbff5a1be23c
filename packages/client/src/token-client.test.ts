import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_ANSWER_BYTES } from './http-request.js';
import {
  CircuitOpenError,
  createTokenClient,
  InvalidTokenResponseError,
  NetworkError,
  TimeoutError,
  TokenClientConfigError,
  type TokenClientOptions,
  TokenEndpointError,
  type TokenFailedEvent,
  type TokenFetchedEvent,
  type TokenRetryEvent,
} from './index.js';
import { FakeTime, settle } from './testing/fake-time.js';
import {
  deferred,
  errorResponse,
  type RecordedRequest,
  type Reply,
  scriptedEndpoint,
  tokenResponse,
} from './testing/scripted-endpoint.js';

const issuer = 'https://as.example';
const tokenEndpoint = 'https://as.example/oauth2/token';
const secret = 's3cr3t-value-never-logged';

function setup(reply: (request: RecordedRequest, index: number) => Reply, options: Partial<TokenClientOptions> = {}) {
  const time = new FakeTime();
  const endpoint = scriptedEndpoint(reply);
  const client = createTokenClient({
    issuer,
    tokenEndpoint,
    clientId: 'task-service',
    clientSecret: secret,
    fetch: endpoint.fetch,
    clock: time,
    timers: time,
    random: () => 0.5,
    ...options,
  });
  return { time, client, requests: endpoint.requests };
}

/** Answers token-1, token-2, … with the given lifetime. */
const counting =
  (expiresIn = 100) =>
  (_: RecordedRequest, index: number) =>
    tokenResponse(`token-${index + 1}`, expiresIn);

describe('getToken: cache', () => {
  it('sends a client-credentials request once, then serves the cached token', async () => {
    const { client, requests } = setup(counting());
    assert.equal(await client.getToken({ audience: 'calendar', scope: 'event.view' }), 'token-1');
    assert.equal(await client.getToken({ audience: 'calendar', scope: 'event.view' }), 'token-1');
    assert.equal(requests.length, 1);
    const [request] = requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, tokenEndpoint);
    assert.equal(request?.headers.get('content-type'), 'application/x-www-form-urlencoded');
    assert.deepEqual(
      [...(request?.form ?? [])],
      [
        ['grant_type', 'client_credentials'],
        ['scope', 'event.view'],
        ['audience', 'calendar'],
      ],
    );
  });

  it('treats scope as a set: order, repeats and array form share one token', async () => {
    const { client, requests } = setup(counting());
    await client.getToken({ audience: 'calendar', scope: 'b a' });
    await client.getToken({ audience: 'calendar', scope: ['a', 'b'] });
    await client.getToken({ audience: 'calendar', scope: ' a  b a ' });
    await client.getToken({ audience: ['calendar'], scope: ['b a'] });
    assert.equal(requests.length, 1);
    assert.equal(requests[0]?.form.get('scope'), 'a b');
  });

  it('keeps a token per audience and per scope', async () => {
    const { client, requests } = setup(counting());
    assert.equal(await client.getToken({ audience: 'calendar', scope: 'a' }), 'token-1');
    assert.equal(await client.getToken({ audience: 'files', scope: 'a' }), 'token-2');
    assert.equal(await client.getToken({ audience: 'calendar', scope: 'a b' }), 'token-3');
    assert.equal(await client.getToken({ audience: ['calendar', 'files'] }), 'token-4');
    assert.equal(await client.getToken(), 'token-5');
    assert.equal(requests.length, 5);
    assert.deepEqual(requests[3]?.form.getAll('audience'), ['calendar', 'files']);
    assert.equal(requests[4]?.form.has('scope'), false);
    assert.equal(requests[4]?.form.has('audience'), false);
  });

  it('can name the audience with RFC 8707 resource instead', async () => {
    const { client, requests } = setup(counting(), { audienceParameter: 'resource' });
    await client.getToken({ audience: 'https://calendar.example/' });
    assert.equal(requests[0]?.form.get('resource'), 'https://calendar.example/');
    assert.equal(requests[0]?.form.has('audience'), false);
  });

  it('bounds the number of cached keys, keeping the ones in use', async () => {
    const { client, requests } = setup(counting(), { maxCacheEntries: 3 });
    for (const audience of ['a', 'b', 'c']) await client.getToken({ audience });
    await client.getToken({ audience: 'a' }); // a is in use
    await client.getToken({ audience: 'd' });
    await client.getToken({ audience: 'e' });
    assert.equal(client.cacheSize, 3);
    const before = requests.length;
    await client.getToken({ audience: 'a' });
    assert.equal(requests.length, before, 'the key in use survived eviction');
  });

  it('assumes a default lifetime when the server sends no expires_in', async () => {
    const { client, time, requests } = setup(() => Response.json({ access_token: 'x', token_type: 'bearer' }), {
      defaultTokenLifetime: 60_000,
    });
    await client.getToken();
    await time.advance(40_000);
    await client.getToken();
    assert.equal(requests.length, 1);
    await time.advance(20_000);
    await client.getToken();
    assert.equal(requests.length, 2);
  });
});

describe('getToken: single-flight', () => {
  it('makes exactly one request for 1,000 concurrent callers on a cold key', async () => {
    const held = deferred<Response>();
    const { client, requests } = setup(() => held.promise);
    const callers = Array.from({ length: 1000 }, () => client.getToken({ audience: 'calendar', scope: 'a' }));
    await settle();
    assert.equal(requests.length, 1);
    held.resolve(tokenResponse('shared'));
    const tokens = await Promise.all(callers);
    assert.ok(tokens.every((t) => t === 'shared'));
    assert.equal(requests.length, 1);
  });

  it('shares a failure too, and the next caller tries again', async () => {
    const held = deferred<Response>();
    const { client, requests } = setup((_, i) => (i === 0 ? held.promise : tokenResponse('second')));
    const callers = Array.from({ length: 50 }, () => client.getToken({ scope: 'a' }));
    held.resolve(errorResponse(400, 'invalid_scope', 'scope not allowed'));
    const results = await Promise.allSettled(callers);
    assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof TokenEndpointError));
    assert.equal(requests.length, 1);
    assert.equal(await client.getToken({ scope: 'a' }), 'second');
  });

  it('lets one caller stop waiting (AbortSignal) without cancelling the shared request', async () => {
    const held = deferred<Response>();
    const { client, requests } = setup(() => held.promise);
    const controller = new AbortController();
    const impatient = client.getToken({ signal: controller.signal });
    const patient = client.getToken();
    controller.abort(new Error('caller gave up'));
    await assert.rejects(impatient, /caller gave up/);
    held.resolve(tokenResponse('t'));
    assert.equal(await patient, 't');
    assert.equal(requests.length, 1);
  });
});

describe('getToken: lifetime and refresh-ahead', () => {
  it('renews in the background after 80% of the lifetime, serving the old token meanwhile', async () => {
    let release = deferred<Response>();
    const renewed: TokenFetchedEvent[] = [];
    const { client, time, requests } = setup((_, i) => (i === 0 ? tokenResponse('old', 100) : release.promise), {
      hooks: { onTokenRenewed: (e) => renewed.push(e) },
    });
    assert.equal(await client.getToken(), 'old');
    await time.advance(79_000);
    assert.equal(await client.getToken(), 'old');
    assert.equal(requests.length, 1, 'no renewal before 80%');

    await time.advance(2_000);
    // Callers in the refresh window get the old token at once; one renewal goes out.
    const during = await Promise.all(Array.from({ length: 20 }, () => client.getToken()));
    assert.ok(during.every((t) => t === 'old'));
    await settle();
    assert.equal(requests.length, 2);

    release.resolve(tokenResponse('new', 100));
    await settle();
    assert.equal(await client.getToken(), 'new');
    assert.equal(requests.length, 2);
    assert.equal(renewed.length, 1);
    assert.equal(renewed[0]?.reason, 'refresh-ahead');
    release = deferred();
  });

  it('never hands out a token within the expiry skew; the caller then waits for a new one', async () => {
    const { client, time, requests } = setup(counting(100), { refreshRatio: 1 });
    assert.equal(await client.getToken(), 'token-1');
    await time.advance(89_999);
    assert.equal(await client.getToken(), 'token-1');
    await time.advance(1);
    // 100 s lifetime - min(10 s skew, 25 s)
    assert.equal(await client.getToken(), 'token-2');
    assert.equal(requests.length, 2);
  });

  it('keeps serving the valid token when a renewal fails, and spaces out the next renewal', async () => {
    const failures: TokenFailedEvent[] = [];
    const { client, time, requests } = setup((_, i) => (i === 0 ? tokenResponse('old', 100) : errorResponse(503)), {
      retry: { maxAttempts: 1 },
      hooks: { onTokenFailed: (e) => failures.push(e) },
    });
    await client.getToken();
    await time.advance(81_000);
    assert.equal(await client.getToken(), 'old');
    await settle();
    assert.equal(requests.length, 2);
    assert.equal(failures[0]?.background, true);
    for (let i = 0; i < 10; i++) assert.equal(await client.getToken(), 'old');
    await settle();
    assert.equal(requests.length, 2, 'the very next callers do not retry the renewal');
    await time.advance(1_000);
    await client.getToken();
    await settle();
    assert.equal(requests.length, 3);
  });

  it('invalidate drops the token so the next caller gets a new one (only if it is still the cached one)', async () => {
    const { client, requests } = setup(counting());
    const first = await client.getToken({ audience: 'calendar' });
    client.invalidate({ audience: 'calendar' }, 'some-other-token');
    assert.equal(await client.getToken({ audience: 'calendar' }), first);
    client.invalidate({ audience: 'calendar' }, first);
    assert.equal(await client.getToken({ audience: 'calendar' }), 'token-2');
    assert.equal(requests.length, 2);
  });
});

describe('getToken: failures and retries', () => {
  it('retries 5xx with exponential backoff and jitter, then succeeds', async () => {
    const retries: TokenRetryEvent[] = [];
    const fetched: TokenFetchedEvent[] = [];
    const { client, time, requests } = setup((_, i) => (i < 2 ? errorResponse(503) : tokenResponse('ok')), {
      hooks: { onRetry: (e) => retries.push(e), onTokenFetched: (e) => fetched.push(e) },
    });
    const result = client.getToken({ audience: 'calendar' });
    await settle();
    assert.equal(requests.length, 1);
    // random() = 0.5: first pause 0.5 × 200 ms, second 0.5 × 400 ms
    await time.advance(99);
    assert.equal(requests.length, 1);
    await time.advance(1);
    assert.equal(requests.length, 2);
    await time.advance(199);
    assert.equal(requests.length, 2);
    await time.advance(1);
    assert.equal(await result, 'ok');
    assert.deepEqual(
      retries.map((r) => [r.attempt, r.delay, r.error.code]),
      [
        [1, 100, 'ERR_TOKEN_ENDPOINT'],
        [2, 200, 'ERR_TOKEN_ENDPOINT'],
      ],
    );
    assert.equal(fetched[0]?.attempts, 3);
    assert.equal(fetched[0]?.duration, 300);
    assert.equal(fetched[0]?.reason, 'cold');
  });

  it('honours Retry-After on 429', async () => {
    const { client, time, requests } = setup((_, i) =>
      i === 0 ? errorResponse(429, 'slow_down', undefined, { 'retry-after': '3' }) : tokenResponse('ok'),
    );
    const result = client.getToken();
    await time.advance(2_999);
    assert.equal(requests.length, 1);
    await time.advance(1);
    assert.equal(await result, 'ok');
    assert.equal(requests.length, 2);
  });

  it('gives up at once when Retry-After is longer than maxRetryAfter', async () => {
    const { client, requests } = setup(() => errorResponse(503, undefined, undefined, { 'retry-after': '120' }));
    const error = await client.getToken().catch((e: unknown) => e);
    assert.ok(error instanceof TokenEndpointError);
    assert.equal(error.retryAfterMs, 120_000);
    assert.equal(requests.length, 1);
  });

  for (const [status, code] of [
    [401, 'invalid_client'],
    [400, 'invalid_scope'],
    [400, 'invalid_target'],
    [400, 'unauthorized_client'],
  ] as const) {
    it(`never retries ${code}, and reports it as a typed error`, async () => {
      const { client, requests } = setup(() => errorResponse(status, code, 'nope'));
      const error = await client.getToken({ scope: 'x' }).catch((e: unknown) => e);
      assert.ok(error instanceof TokenEndpointError);
      assert.equal(error.code, 'ERR_TOKEN_ENDPOINT');
      assert.equal(error.error, code);
      assert.equal(error.errorDescription, 'nope');
      assert.equal(error.status, status);
      assert.equal(error.retryable, false);
      assert.equal(error.message, `token endpoint answered ${status} ${code}: nope`);
      assert.equal(requests.length, 1);
    });
  }

  it('retries network errors, then throws NetworkError', async () => {
    const { client, time, requests } = setup(() => new TypeError('fetch failed'));
    const result = client.getToken().catch((e: unknown) => e);
    await time.advance(1_000);
    const error = await result;
    assert.ok(error instanceof NetworkError);
    assert.equal(error.code, 'ERR_NETWORK');
    assert.equal(requests.length, 3);
  });

  it('stops reading an answer past 1 MiB and fails with NetworkError, streamed or declared', async () => {
    let pulled = 0;
    const endless = () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            pulled++;
            controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
          },
        }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      );
    const declared = () =>
      new Response('{}', { status: 200, headers: { 'content-length': String(MAX_ANSWER_BYTES + 1) } });
    for (const reply of [endless, declared]) {
      const { client, time, requests } = setup(reply);
      const result = client.getToken().catch((e: unknown) => e);
      await time.advance(1_000);
      const error = await result;
      assert.ok(error instanceof NetworkError, String(error));
      assert.match(error.message, /larger than 1048576 bytes/);
      assert.equal(requests.length, 3, 'retried like any network failure');
    }
    // 17 chunks of 64 KiB pass 1 MiB: each of the 3 attempts stops there (a chunk may be read ahead).
    assert.ok(pulled <= 3 * 18, `read ${pulled} chunks`);
  });

  it('times out a request that hangs (the body too), and retries it', async () => {
    const { client, time, requests } = setup(() => new Promise<Response>(() => {}), { timeout: 2_000 });
    const result = client.getToken().catch((e: unknown) => e);
    await time.advance(1_999);
    assert.equal(requests.length, 1);
    await time.advance(1);
    assert.equal(requests.length, 1, 'then waits its backoff');
    await time.advance(10_000);
    const error = await result;
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.code, 'ERR_TIMEOUT');
    assert.equal(requests.length, 3);
    assert.equal(time.timerCount, 0, 'no timer left behind');
  });

  it('refuses a 200 that is not a Bearer token response', async () => {
    for (const body of [{}, { access_token: 'x', token_type: 'DPoP' }, { access_token: 'x', expires_in: -1 }]) {
      const { client, requests } = setup(() => Response.json(body));
      await assert.rejects(client.getToken(), InvalidTokenResponseError);
      assert.equal(requests.length, 1);
    }
  });

  it('accepts expires_in sent as a string', async () => {
    const { client, time, requests } = setup(() =>
      Response.json({ access_token: 'x', token_type: 'bearer', expires_in: '100' }),
    );
    await client.getToken();
    await time.advance(85_000);
    await client.getToken();
    await settle();
    assert.equal(requests.length, 2);
  });
});

describe('getToken: a token endpoint that stays down', () => {
  it('opens the circuit after repeated failures, fails fast, then sends one trial request', async () => {
    const failures: TokenFailedEvent[] = [];
    let up = false;
    const { client, time, requests } = setup(() => (up ? tokenResponse('back') : errorResponse(503)), {
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 3, cooldown: 5_000 },
      hooks: { onTokenFailed: (e) => failures.push(e) },
    });
    for (let i = 0; i < 3; i++) await assert.rejects(client.getToken({ audience: 'calendar' }), TokenEndpointError);
    assert.equal(requests.length, 3);

    const open = await client.getToken({ audience: 'files' }).catch((e: unknown) => e);
    assert.ok(open instanceof CircuitOpenError);
    assert.equal(open.code, 'ERR_CIRCUIT_OPEN');
    assert.equal(open.retryAt, time.now() + 5_000);
    assert.ok(open.cause instanceof TokenEndpointError);
    assert.equal(requests.length, 3, 'no request while open');
    assert.equal(failures.at(-1)?.attempts, 0);

    await time.advance(5_000);
    const trial = client.getToken({ audience: 'calendar' });
    await assert.rejects(client.getToken({ audience: 'files' }), CircuitOpenError, 'only one trial at a time');
    await assert.rejects(trial, TokenEndpointError);
    assert.equal(requests.length, 4);

    // The failed trial doubles the pause.
    await time.advance(5_000);
    await assert.rejects(client.getToken(), CircuitOpenError);
    await time.advance(5_000);
    up = true;
    assert.equal(await client.getToken(), 'back');
    assert.equal(await client.getToken({ audience: 'files' }), 'back');
    assert.equal(requests.length, 6);
  });

  it('a storm of callers against a failing endpoint costs one request per key at a time', async () => {
    const { client, time, requests } = setup(() => errorResponse(500), { retry: { maxAttempts: 2 } });
    const callers = Array.from({ length: 500 }, () => client.getToken({ audience: 'calendar' }).catch((e) => e));
    await time.advance(1_000);
    const errors = await Promise.all(callers);
    assert.ok(errors.every((e) => e instanceof TokenEndpointError && e.status === 500));
    assert.equal(requests.length, 2, 'one request and its one retry, for all 500 callers');
  });

  it('counts invalid_client toward the circuit (every key would fail), but not invalid_scope', async () => {
    const bad = setup(() => errorResponse(401, 'invalid_client'), { circuitBreaker: { failureThreshold: 2 } });
    await assert.rejects(bad.client.getToken({ audience: 'a' }), TokenEndpointError);
    await assert.rejects(bad.client.getToken({ audience: 'b' }), TokenEndpointError);
    await assert.rejects(bad.client.getToken({ audience: 'c' }), CircuitOpenError);
    const scoped = setup(() => errorResponse(400, 'invalid_scope'), { circuitBreaker: { failureThreshold: 2 } });
    for (const scope of ['a', 'b', 'c']) await assert.rejects(scoped.client.getToken({ scope }), TokenEndpointError);
  });

  it('pauses for a Retry-After it would not wait for', async () => {
    const { client, time, requests } = setup((_, i) =>
      i === 0 ? errorResponse(503, undefined, undefined, { 'retry-after': '40' }) : tokenResponse('ok'),
    );
    await assert.rejects(client.getToken(), TokenEndpointError);
    await time.advance(39_000);
    await assert.rejects(client.getToken(), CircuitOpenError);
    await time.advance(1_000);
    assert.equal(await client.getToken(), 'ok');
    assert.equal(requests.length, 2);
  });
});

describe('hooks never see secrets or tokens', () => {
  it('events carry audience, scope, duration and attempts only', async () => {
    const events: unknown[] = [];
    const record = (e: unknown) => events.push(e);
    const { client, time } = setup(
      (_, i) => (i === 1 ? errorResponse(500) : tokenResponse('eyJ.secret-token.sig', 100)),
      {
        hooks: { onTokenFetched: record, onTokenRenewed: record, onTokenFailed: record, onRetry: record },
      },
    );
    await client.getToken({ audience: 'calendar', scope: 'a' });
    await time.advance(81_000);
    await client.getToken({ audience: 'calendar', scope: 'a' });
    await time.advance(1_000);
    assert.equal(events.length, 3);
    const text = JSON.stringify(events, (_, v) => (v instanceof Error ? { ...v, message: v.message } : v));
    assert.ok(!text.includes('secret-token'), text);
    assert.ok(!text.includes(secret), text);
    assert.ok(text.includes('"audience":["calendar"]'));
  });

  it('a hook that throws does not break token delivery', async () => {
    const { client } = setup(counting(), {
      hooks: {
        onTokenFetched: () => {
          throw new Error('metrics down');
        },
      },
    });
    assert.equal(await client.getToken(), 'token-1');
  });
});

describe('createTokenClient: options are checked at creation', () => {
  const base = { issuer, clientId: 'c', clientSecret: 's' };
  for (const [what, options] of [
    ['issuer', { ...base, issuer: 'not a url' }],
    ['clientId', { ...base, clientId: '' }],
    ['secret', { issuer, clientId: 'c', authMethod: 'client_secret_post' }],
    ['credential', { issuer, clientId: 'c', clientSecret: undefined }],
    ['key', { issuer, clientId: 'c', authMethod: 'private_key_jwt' }],
    ['method', { ...base, authMethod: 'tls_client_auth' }],
    ['refreshRatio', { ...base, refreshRatio: 0 }],
    ['timeout', { ...base, timeout: -1 }],
    ['extraParameters', { ...base, extraParameters: { client_secret: 'x' } }],
    ['alg', { ...base, authMethod: 'client_secret_jwt', signingAlgorithm: 'RS256' }],
  ] as const) {
    it(`refuses a bad ${what}`, () => {
      assert.throws(
        () => createTokenClient(options as unknown as TokenClientOptions),
        (e: unknown) => e instanceof TokenClientConfigError && e.code === 'ERR_TOKEN_CLIENT_CONFIG',
      );
    });
  }

  it('never puts the secret in an error message', () => {
    try {
      createTokenClient({ ...base, clientSecret: 'hunter2', extraParameters: { scope: 'x' } });
      assert.fail('should throw');
    } catch (error) {
      assert.ok(!String(error).includes('hunter2'));
    }
  });
});

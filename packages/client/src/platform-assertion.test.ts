import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { type StandInIssuer, startStandInIssuer } from '../../../e2e/support/stand-in-issuer.js';
import {
  ClientAssertionError,
  createTokenClient,
  JWT_BEARER_TYPE,
  JWT_SPIFFE_TYPE,
  TokenClientConfigError,
  type TokenClientOptions,
  TokenEndpointError,
} from './index.js';
import { FakeTime } from './testing/fake-time.js';
import { type LocalServer, sendJson, startLocalServer } from './testing/local-server.js';

const START = Date.UTC(2030, 0, 1);
const AUDIENCE = 'https://auth.example.com';

interface Seen {
  form: URLSearchParams;
  authorization: string | undefined;
}

/**
 * `federated_jwt`: the platform's token (a projected service-account token
 * in a file, a CI job's OIDC token from a function) sent as the client
 * assertion, against a token endpoint over real HTTP and tokens minted by
 * the stand-in Kubernetes and SPIFFE issuers.
 */
describe('federated_jwt: a platform token as the client assertion', () => {
  let server: LocalServer;
  let seen: Seen[];
  let status: number;
  let time: FakeTime;
  let cluster: StandInIssuer;
  let spire: StandInIssuer;
  let dir: string;

  before(async () => {
    server = await startLocalServer((request, response) => {
      seen.push({ form: new URLSearchParams(request.body), authorization: request.headers.authorization });
      if (status !== 200) {
        sendJson(response, status, { error: 'invalid_client', error_description: 'Client authentication failed' });
        return;
      }
      sendJson(response, 200, { access_token: `at-${seen.length}`, token_type: 'Bearer', expires_in: 300 });
    });
    cluster = await startStandInIssuer({ kind: 'kubernetes', now: () => time.now() });
    spire = await startStandInIssuer({ kind: 'spiffe', trustDomain: 'prod.example', now: () => time.now() });
  });
  after(async () => {
    await Promise.all([server.close(), cluster.close(), spire.close()]);
  });
  beforeEach(async () => {
    seen = [];
    status = 200;
    time = new FakeTime(START);
    dir = await mkdtemp(join(tmpdir(), 'tessera-projected-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  function client(options: Partial<TokenClientOptions>) {
    return createTokenClient({
      issuer: server.url,
      tokenEndpoint: `${server.url}/token`,
      clock: time,
      timers: time,
      random: () => 0.5,
      retry: { maxAttempts: 1 },
      ...options,
    } as TokenClientOptions);
  }

  const serviceAccountToken = (expirationSeconds = 600) =>
    cluster.serviceAccountToken({
      namespace: 'payments',
      serviceAccount: 'pdf-caller',
      audience: AUDIENCE,
      expirationSeconds,
    });

  it('sends the projected token from the file, jwt-bearer, with no secret, no Authorization and no client_id', async () => {
    const projection = await cluster.project({ dir, mint: () => serviceAccountToken(), lifetimeSeconds: 600 });
    const tokens = client({ clientAssertionFile: projection.path });
    assert.equal(await tokens.getToken({ audience: 'pdf' }), 'at-1');
    const [request] = seen;
    assert.ok(request);
    assert.equal(request.authorization, undefined);
    assert.deepEqual([...request.form.keys()].sort(), [
      'audience',
      'client_assertion',
      'client_assertion_type',
      'grant_type',
    ]);
    assert.equal(request.form.get('grant_type'), 'client_credentials');
    assert.equal(request.form.get('client_assertion_type'), JWT_BEARER_TYPE);
    const claims = decodeJwt(request.form.get('client_assertion') ?? '');
    assert.equal(claims.sub, 'system:serviceaccount:payments:pdf-caller');
    assert.equal(claims.iss, cluster.issuer);
    assert.deepEqual(claims.aud, [AUDIENCE]);
    projection.stop();
  });

  it('sends client_id when it is given (an identity that several clients accept)', async () => {
    const projection = await cluster.project({ dir, mint: () => serviceAccountToken(), lifetimeSeconds: 600 });
    await client({ clientAssertionFile: projection.path, clientId: 'pdf-caller' }).getToken();
    assert.equal(seen[0]?.form.get('client_id'), 'pdf-caller');
    projection.stop();
  });

  it('reads the renewed token once the kubelet has swapped it in', async () => {
    const projection = await cluster.project({ dir, mint: () => serviceAccountToken(), lifetimeSeconds: 600 });
    const tokens = client({ clientAssertionFile: projection.path });
    await tokens.getToken({ audience: 'a' });
    await tokens.getToken({ audience: 'b' });
    const renewed = await projection.renew();
    await tokens.getToken({ audience: 'c' });
    const sent = seen.map((s) => s.form.get('client_assertion'));
    assert.equal(sent[0], sent[1], 'the same file, the same token');
    assert.notEqual(sent[2], sent[0]);
    assert.equal(sent[2], renewed, 'the new token, after the ..data swap');
    projection.stop();
  });

  it('never reuses a token past its exp, even while the file looks unchanged', async () => {
    const path = join(dir, 'token');
    const first = await serviceAccountToken(120);
    const second = await serviceAccountToken(120);
    assert.equal(first.length, second.length, 'same size, so only the content differs');
    const sameTimes = async (token: string) => {
      await writeFile(path, token);
      await utimes(path, 1_800_000_000, 1_800_000_000);
    };
    await sameTimes(first);
    const tokens = client({ clientAssertionFile: path });
    await tokens.getToken({ audience: 'a' });
    await sameTimes(second);
    await tokens.getToken({ audience: 'b' });
    assert.equal(seen[1]?.form.get('client_assertion'), first, 'unchanged to stat: one stat, no read');
    await time.advance(91_000); // 29 s left of the first token: too little to send it
    await tokens.getToken({ audience: 'c' });
    assert.equal(seen[2]?.form.get('client_assertion'), second, 'read again as its exp nears');
  });

  it('a function: asked once for concurrent requests, reused until 30 s before exp, then asked again', async () => {
    let calls = 0;
    const tokens = client({
      clientAssertion: async () => {
        calls++;
        return cluster.sign({
          iss: 'https://token.actions.githubusercontent.com',
          sub: 'repo:acme/pdf:ref:refs/heads/main',
          aud: AUDIENCE,
          exp: Math.floor(time.now() / 1000) + 300,
        });
      },
    });
    await Promise.all([tokens.getToken({ audience: 'a' }), tokens.getToken({ audience: 'b' })]);
    assert.equal(calls, 1);
    assert.equal(seen.length, 2);
    assert.equal(seen[0]?.form.get('client_assertion'), seen[1]?.form.get('client_assertion'));
    await time.advance(269_000);
    await tokens.getToken({ audience: 'c' });
    assert.equal(calls, 1, '31 s left: reused');
    await time.advance(2_000);
    await tokens.getToken({ audience: 'd' });
    assert.equal(calls, 2, '29 s left: asked again');
    assert.notEqual(seen[3]?.form.get('client_assertion'), seen[0]?.form.get('client_assertion'));
  });

  it('asks the function again after the server refused its token (401 invalid_client)', async () => {
    let calls = 0;
    const tokens = client({
      clientId: 'ci-deployer',
      clientAssertion: () => {
        calls++;
        return serviceAccountToken();
      },
    });
    status = 401;
    const refused = await tokens.getToken().catch((error: unknown) => error);
    assert.ok(refused instanceof TokenEndpointError && refused.error === 'invalid_client');
    status = 200;
    await time.advance(60_000); // past the circuit breaker's pause
    assert.equal(await tokens.getToken(), 'at-2');
    assert.equal(calls, 2);
  });

  it('jwt-spiffe: a JWT-SVID from a file written by spiffe-helper', async () => {
    const path = join(dir, 'jwt_svid.token');
    const svid = await spire.jwtSvid({ path: '/ns/payments/sa/pdf-caller', audience: AUDIENCE });
    await writeFile(path, `${svid}\n`);
    await client({ clientAssertionFile: path, clientAssertionType: 'jwt-spiffe' }).getToken();
    const form = seen[0]?.form;
    assert.equal(form?.get('client_assertion_type'), JWT_SPIFFE_TYPE);
    assert.equal(form?.get('client_assertion'), svid, 'the trailing newline is not sent');
    assert.equal(decodeJwt(svid).sub, 'spiffe://prod.example/ns/payments/sa/pdf-caller');
  });

  it('a missing file or one without a JWT fails with ClientAssertionError, before any request', async () => {
    const missing = await client({ clientAssertionFile: join(dir, 'nope') })
      .getToken()
      .catch((error: unknown) => error);
    assert.ok(missing instanceof ClientAssertionError);
    assert.equal(missing.code, 'ERR_CLIENT_ASSERTION');
    assert.equal(missing.retryable, true, 'the kubelet may not have written it yet');
    assert.match(missing.message, /clientAssertionFile .*nope: ENOENT/);

    const half = join(dir, 'half');
    await writeFile(half, 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ');
    const garbled = await client({ clientAssertionFile: half })
      .getToken()
      .catch((error: unknown) => error);
    assert.ok(garbled instanceof ClientAssertionError);
    assert.match(garbled.message, /does not hold a JWT/);
    assert.doesNotMatch(garbled.message, /eyJ/, 'the content is never quoted');
    assert.equal(seen.length, 0);
  });

  it('a failing function fails with ClientAssertionError that does not quote it', async () => {
    const failed = await client({
      clientAssertion: () => {
        throw new Error('runner answered 403 for token eyJsecret');
      },
    })
      .getToken()
      .catch((error: unknown) => error);
    assert.ok(failed instanceof ClientAssertionError);
    assert.equal(failed.message, 'clientAssertion failed');
    assert.ok(failed.cause instanceof Error);
    assert.equal(seen.length, 0);
  });

  it('refuses options that cannot work, at creation', () => {
    const cases: [Partial<TokenClientOptions>, RegExp][] = [
      [{ clientAssertionFile: '/f', clientAssertion: () => 'x' }, /not both/],
      [{ clientAssertionFile: '/f', clientSecret: 's' }, /not both/],
      [
        { clientAssertionFile: '/f', authMethod: 'client_secret_basic', clientSecret: 's', clientId: 'c' },
        /federated_jwt/,
      ],
      [{ authMethod: 'federated_jwt' }, /needs clientAssertionFile or clientAssertion/],
      [{ clientAssertionFile: '/f', clientAssertionType: 'saml' as 'jwt-bearer' }, /jwt-bearer' or 'jwt-spiffe'/],
      [{ clientAssertionFile: '' }, /must be a path/],
      [{ clientAssertionFile: '/f', clientId: '' }, /clientId must be a non-empty string/],
      [{ clientSecret: 's' }, /clientId is required/],
      [{ clientId: 'c', clientSecret: 's', clientAssertionType: 'jwt-spiffe' }, /federated_jwt/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => client(options),
        (error: unknown) => {
          assert.ok(error instanceof TokenClientConfigError, String(error));
          assert.match(error.message, message);
          return true;
        },
      );
    }
  });
});

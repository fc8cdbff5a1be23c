import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import {
  type StandInIssuer,
  type StandInIssuerOptions,
  standInKey,
  startStandInIssuer,
} from '../../../e2e/support/stand-in-issuer.js';
import { basic, decodeJwt, type Harness, ISSUER, startHarness } from './harness.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const JWT_SPIFFE = 'urn:ietf:params:oauth:client-assertion-type:jwt-spiffe';
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };
const SA = 'system:serviceaccount:payments:pdf-caller';

/** The stand-in platform issuer these tests use: ES256 keys, a Kubernetes API server unless told otherwise. */
const startIssuer = (options: StandInIssuerOptions = {}) => startStandInIssuer({ alg: 'ES256', ...options });

/**
 * Workloads without secrets: trusted issuers through the admin API, and
 * federated_jwt at the token endpoint, against a real issuer on loopback
 * (discovery and JWKS over HTTP, tokens minted with jose).
 */
describe('trusted issuers and federated_jwt', () => {
  let h: Harness;
  let k8s: StandInIssuer;
  let issuerId: string;
  let client: { client_id: string };
  const now = () => Math.floor(h.clock.ms / 1000);

  /** A projected service-account token as Kubernetes shapes it. */
  const saToken = (claims: Record<string, unknown> = {}, options: Parameters<StandInIssuer['sign']>[1] = {}) =>
    k8s.sign(
      {
        iss: k8s.url,
        sub: SA,
        aud: [ISSUER],
        iat: now(),
        nbf: now(),
        exp: now() + 600,
        'kubernetes.io': { namespace: 'payments', serviceaccount: { name: 'pdf-caller', uid: randomUUID() } },
        ...claims,
      },
      options,
    );

  const withAssertion = (assertion: string, extra: Record<string, string> = {}, type = JWT_BEARER) =>
    h.token({ grant_type: 'client_credentials', client_assertion_type: type, client_assertion: assertion, ...extra });

  /** The reason the last refusal was logged with. */
  const lastReason = () => {
    const line = h.logs.filter((l) => l.includes('"request refused"')).at(-1);
    return line ? (JSON.parse(line).reason as string) : undefined;
  };

  async function failures(reason: string): Promise<number> {
    const text = await h.tessera.ctx.metrics.registry.metrics();
    const m = new RegExp(`tessera_client_auth_failures_total\\{reason="${reason}"\\} (\\d+)`).exec(text);
    return Number(m?.[1] ?? 0);
  }

  /** 401 invalid_client, the one body every failure has; the metric counts it under `reason`. */
  async function refused(r: Promise<import('fastify').LightMyRequestResponse>, reason: string): Promise<void> {
    const before = await failures(reason);
    const answer = await r;
    assert.equal(answer.statusCode, 401, answer.body);
    assert.deepEqual(answer.json(), INVALID_CLIENT);
    assert.equal(answer.headers['www-authenticate'], 'Basic realm="tessera", charset="UTF-8"');
    assert.equal(await failures(reason), before + 1, `counted as ${reason} (logged: ${lastReason()})`);
  }

  before(async () => {
    k8s = await startIssuer();
    h = await startHarness();
    const r = await h.admin('POST', '/admin/trusted-issuers', { issuer: k8s.url, max_token_lifetime: 3600 });
    assert.equal(r.statusCode, 201, r.body);
    issuerId = r.json().id;
    client = await h.createClient({
      token_endpoint_auth_method: 'federated_jwt',
      federated_identities: [{ issuer: k8s.url, subject: SA }],
      scope: 'pdf.render',
    });
  });
  after(async () => {
    await h?.close();
    await k8s?.close();
  });
  beforeEach(() => {
    k8s.fault = undefined;
  });

  describe('the admin API', () => {
    it('creates with defaults, reads, lists, changes and deletes a trusted issuer', async () => {
      const created = await h.admin('POST', '/admin/trusted-issuers', {
        issuer: 'https://token.actions.githubusercontent.com',
      });
      assert.equal(created.statusCode, 201);
      assert.equal(created.headers['cache-control'], 'no-store');
      const view = created.json();
      assert.match(view.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(view, {
        id: view.id,
        issuer: 'https://token.actions.githubusercontent.com',
        kind: 'oidc',
        audience: ISSUER,
        max_token_lifetime: 3600,
        created_at: now(),
        updated_at: now(),
      });
      assert.deepEqual((await h.admin('GET', `/admin/trusted-issuers/${view.id}`)).json(), view);

      const changed = await h.admin('PATCH', `/admin/trusted-issuers/${view.id}`, {
        audience: 'https://tessera.example',
        jwks_uri: 'https://token.actions.githubusercontent.com/.well-known/jwks',
        max_token_lifetime: 600,
        description: 'GitHub Actions',
      });
      assert.equal(changed.statusCode, 200, changed.body);
      assert.equal(changed.json().audience, 'https://tessera.example');
      assert.equal(changed.json().max_token_lifetime, 600);
      // null removes an optional field; the default audience is back.
      const cleared = await h.admin('PATCH', `/admin/trusted-issuers/${view.id}`, { audience: null, jwks_uri: null });
      assert.equal(cleared.json().audience, ISSUER);
      assert.equal(cleared.json().jwks_uri, undefined);
      assert.equal(cleared.json().description, 'GitHub Actions');
      // Inline keys replace a jwks_uri.
      const { publicKey } = await generateKeyPair('ES256', { extractable: true });
      await h.admin('PATCH', `/admin/trusted-issuers/${view.id}`, { jwks_uri: 'https://x.example/jwks' });
      const inline = await h.admin('PATCH', `/admin/trusted-issuers/${view.id}`, {
        jwks: { keys: [await exportJWK(publicKey)] },
      });
      assert.equal(inline.json().jwks_uri, undefined);
      assert.equal(inline.json().jwks.keys.length, 1);

      const page = await h.admin('GET', '/admin/trusted-issuers?limit=1');
      assert.equal(page.statusCode, 200);
      assert.equal(page.json().items.length, 1);
      assert.ok(page.json().next_cursor);
      const rest = await h.admin('GET', `/admin/trusted-issuers?limit=200&cursor=${page.json().next_cursor}`);
      const ids = [...page.json().items, ...rest.json().items].map((t: { id: string }) => t.id);
      assert.ok(ids.includes(view.id) && ids.includes(issuerId));
      assert.equal(rest.json().next_cursor, null);

      assert.equal((await h.admin('DELETE', `/admin/trusted-issuers/${view.id}`)).statusCode, 204);
      const gone = await h.admin('GET', `/admin/trusted-issuers/${view.id}`);
      assert.equal(gone.statusCode, 404);
      assert.deepEqual(gone.json(), { error: 'not_found', error_description: 'no such trusted issuer' });
      assert.equal((await h.admin('DELETE', `/admin/trusted-issuers/${view.id}`)).statusCode, 404);
      assert.equal((await h.admin('PATCH', `/admin/trusted-issuers/${view.id}`, {})).statusCode, 404);
      assert.equal((await h.admin('GET', '/admin/trusted-issuers/not-an-id')).statusCode, 404);
    });

    it('refuses a second trusted issuer for the same issuer with 409', async () => {
      const r = await h.admin('POST', '/admin/trusted-issuers', { issuer: k8s.url });
      assert.equal(r.statusCode, 409);
      assert.deepEqual(r.json(), { error: 'conflict', error_description: 'a trusted issuer with this issuer exists' });
    });

    it('refuses bad input with 400 invalid_client_metadata and changes nothing', async () => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const cases: [unknown, string][] = [
        [{}, 'issuer: must be a URL'],
        [
          { issuer: 'http://issuer.example' },
          'issuer: must be an https URL (http only for loopback hosts), without query or fragment',
        ],
        [
          { issuer: 'https://issuer.example/?tenant=1' },
          'issuer: must be an https URL (http only for loopback hosts), without query or fragment',
        ],
        [
          { issuer: 'not a url' },
          'issuer: must be an https URL (http only for loopback hosts), without query or fragment',
        ],
        [
          { issuer: 'https://a.example', jwks_uri: 'http://keys.example/jwks' },
          'jwks_uri: must be an https URL (http only for loopback hosts)',
        ],
        [
          { issuer: 'https://a.example', jwks_uri: 'https://a.example/k', jwks: { keys: [{ kty: 'EC' }] } },
          'jwks: a key could not be read as a public key',
        ],
        [
          { issuer: 'https://a.example', jwks: { keys: [await exportJWK(privateKey)] } },
          'jwks: keys must be public (no private members)',
        ],
        [
          { issuer: 'https://a.example', max_token_lifetime: 0 },
          'max_token_lifetime: an integer number of seconds from 1 to 604800',
        ],
        [
          { issuer: 'https://a.example', max_token_lifetime: '600' },
          'max_token_lifetime: an integer number of seconds from 1 to 604800',
        ],
        [{ issuer: 'https://a.example', kind: 'saml' }, 'kind: oidc or spiffe'],
        [{ issuer: 'https://a.example', trust_domain: 'example.org' }, 'trust_domain: only for kind spiffe'],
        [
          { issuer: 'https://a.example', kind: 'spiffe', trust_domain: 'Example Org' },
          'trust_domain: lowercase letters, digits, dots, dashes and underscores',
        ],
        [[], 'the body must be a JSON object'],
      ];
      const count = (await h.admin('GET', '/admin/trusted-issuers?limit=200')).json().items.length;
      for (const [body, description] of cases) {
        const r = await h.admin('POST', '/admin/trusted-issuers', body);
        assert.equal(r.statusCode, 400, JSON.stringify(body));
        assert.deepEqual(
          r.json(),
          { error: 'invalid_client_metadata', error_description: description },
          JSON.stringify(body),
        );
      }
      // Tessera itself: its tokens are read as its own, revocation included, never as a platform's.
      const itself = await startHarness({}, { TESSERA_ISSUER: 'https://tessera.example' });
      try {
        const r = await itself.admin('POST', '/admin/trusted-issuers', { issuer: 'https://tessera.example' });
        assert.deepEqual(r.json(), {
          error: 'invalid_client_metadata',
          error_description: "issuer: Tessera's own issuer cannot be a trusted issuer",
        });
      } finally {
        await itself.close();
      }
      const patched = await h.admin('PATCH', `/admin/trusted-issuers/${issuerId}`, { jwks_uri: 'ftp://x' });
      assert.equal(patched.statusCode, 400);
      assert.equal((await h.admin('GET', '/admin/trusted-issuers?limit=200')).json().items.length, count);
      assert.equal((await h.admin('GET', `/admin/trusted-issuers/${issuerId}`)).json().jwks_uri, undefined);
    });

    it('needs the admin key', async () => {
      const r = await h.inject({ method: 'GET', url: '/admin/trusted-issuers' });
      assert.equal(r.statusCode, 401);
    });
  });

  describe('client metadata', () => {
    it('federated_jwt needs federated_identities, other methods refuse them, and no secret is minted', async () => {
      const c = await h.admin('POST', '/admin/clients', {
        token_endpoint_auth_method: 'federated_jwt',
        federated_identities: [
          { issuer: k8s.url, subject: 'system:serviceaccount:a:b', claims: { 'kubernetes.io': { namespace: 'a' } } },
          { issuer: k8s.url, subject: 'system:serviceaccount:a:b', claims: { 'kubernetes.io': { namespace: 'a' } } },
        ],
      });
      assert.equal(c.statusCode, 201, c.body);
      assert.equal(c.json().client_secret, undefined);
      assert.equal(c.json().federated_identities.length, 1, 'duplicates are dropped');
      const bad: [unknown, string][] = [
        [{ token_endpoint_auth_method: 'federated_jwt' }, 'federated_jwt requires federated_identities'],
        [
          { federated_identities: [{ issuer: k8s.url, subject: SA }] },
          'federated_identities are only used with federated_jwt',
        ],
        [
          { token_endpoint_auth_method: 'federated_jwt', federated_identities: [] },
          'federated_identities: at least one identity',
        ],
        [
          {
            token_endpoint_auth_method: 'federated_jwt',
            federated_identities: [{ issuer: 'http://evil.example', subject: SA }],
          },
          'federated_identities: issuer must be an https URL (http only for loopback hosts)',
        ],
        [
          { token_endpoint_auth_method: 'federated_jwt', federated_identities: [{ issuer: k8s.url, subject: '' }] },
          'federated_identities: subject must not be empty',
        ],
        [
          {
            token_endpoint_auth_method: 'federated_jwt',
            federated_identities: [{ issuer: k8s.url, subject: SA, claims: { aud: 'x' } }],
          },
          'federated_identities: claims cannot name aud',
        ],
      ];
      for (const [body, description] of bad) {
        const r = await h.admin('POST', '/admin/clients', body);
        assert.deepEqual(
          r.json(),
          { error: 'invalid_client_metadata', error_description: description },
          JSON.stringify(body),
        );
      }
      // Leaving federated_jwt drops the identities (and a secret method gets its secret).
      const left = await h.admin('PATCH', `/admin/clients/${c.json().client_id}`, {
        token_endpoint_auth_method: 'client_secret_basic',
      });
      assert.equal(left.statusCode, 200, left.body);
      assert.equal(left.json().federated_identities, undefined);
      assert.ok(left.json().client_secret);
    });
  });

  describe('the token endpoint', () => {
    it('issues a token for a service-account token, found through discovery, with no client_id and with one', async () => {
      const token = await saToken();
      const r = await withAssertion(token);
      assert.equal(r.statusCode, 200, r.body);
      const { payload } = decodeJwt(r.json().access_token);
      assert.equal(payload.client_id, client.client_id);
      assert.equal(payload.sub, client.client_id);
      assert.equal(payload.scope, 'pdf.render');
      assert.ok(k8s.requests.discovery >= 1, 'discovery was read');
      const named = await withAssertion(token, { client_id: client.client_id });
      assert.equal(named.statusCode, 200, named.body);
      const metrics = await h.tessera.ctx.metrics.registry.metrics();
      assert.match(metrics, /tessera_client_authentications_total\{method="federated_jwt"\} [1-9]/);
    });

    it('verifies a reused platform token once: no refetch, same answer', async () => {
      const token = await saToken();
      assert.equal((await withAssertion(token)).statusCode, 200);
      const jwks = k8s.requests.jwks;
      for (let i = 0; i < 5; i++) assert.equal((await withAssertion(token)).statusCode, 200);
      assert.equal(k8s.requests.jwks, jwks);
    });

    it('follows key rotation at the issuer: an unknown kid refetches the keys (at most once per cooldown)', async () => {
      assert.equal((await withAssertion(await saToken())).statusCode, 200);
      const rotated = await k8s.rotateKeys({ retireOld: true });
      h.clock.advance(31);
      const r = await withAssertion(await saToken({}, { kid: rotated }));
      assert.equal(r.statusCode, 200, r.body);
      // Another new key right away: within the cooldown, no refetch, refused.
      const third = await k8s.rotateKeys();
      const fetches = k8s.requests.jwks;
      await refused(withAssertion(await saToken({}, { kid: third })), 'bad_signature');
      assert.equal(k8s.requests.jwks, fetches);
      h.clock.advance(31);
      assert.equal((await withAssertion(await saToken({}, { kid: third }))).statusCode, 200);
    });

    it('keeps working with the keys it has while the issuer is briefly down', async () => {
      assert.equal((await withAssertion(await saToken())).statusCode, 200);
      k8s.fault = 'reset';
      h.clock.advance(11 * 60); // past the keys' max age: a refetch is tried, and fails
      const r = await withAssertion(await saToken());
      assert.equal(r.statusCode, 200, r.body);
      assert.equal((await withAssertion(await saToken())).statusCode, 200);
      // The refresh runs beside the requests: its warning comes when it fails.
      for (let i = 0; i < 100 && !h.logs.some((l) => l.includes('keys could not be refreshed')); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const warning = h.logs.find((l) => l.includes('keys could not be refreshed'));
      assert.ok(warning, 'the operator is warned');
      assert.equal(JSON.parse(warning).trustedIssuer, k8s.url);
    });

    it('refuses every bad token with one and the same 401 invalid_client', async () => {
      const other = await standInKey(); // another key under the issuer's kid: a forged signature
      const secret = new TextEncoder().encode('x'.repeat(32));
      await refused(withAssertion(await saToken({ aud: ['https://elsewhere.example'] })), 'wrong_audience');
      await refused(
        withAssertion(await saToken({ iat: now() - 700, nbf: now() - 700, exp: now() - 100 })),
        'expired_assertion',
      );
      await refused(withAssertion(await saToken({ nbf: now() + 600 })), 'bad_assertion');
      await refused(withAssertion(await saToken({ exp: now() + 7200 })), 'lifetime_too_long');
      // Without iat, what is left of the token must fit the cap.
      await refused(withAssertion(await saToken({ iat: undefined, exp: now() + 4000 })), 'lifetime_too_long');
      assert.equal((await withAssertion(await saToken({ iat: undefined, exp: now() + 3000 }))).statusCode, 200);
      await refused(withAssertion(await saToken({ iat: now() + 600 })), 'bad_assertion');
      await refused(withAssertion(await saToken({}, { key: other, kid: k8s.currentKid })), 'bad_signature');
      await refused(withAssertion(await saToken({ exp: undefined })), 'bad_assertion');
      // alg none and HMAC: refused before any key is looked for.
      const claims = { iss: k8s.url, sub: SA, aud: ISSUER, iat: now(), exp: now() + 60 };
      await refused(withAssertion(new UnsecuredJWT(claims).encode()), 'bad_assertion');
      const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(secret);
      await refused(withAssertion(hs), 'bad_assertion');
      // An issuer nobody trusts, by either assertion type.
      const stranger = await startIssuer();
      try {
        const foreign = await stranger.sign({ iss: stranger.url, sub: SA, aud: ISSUER, iat: now(), exp: now() + 60 });
        await refused(withAssertion(foreign), 'untrusted_issuer');
        await refused(withAssertion(foreign, {}, JWT_SPIFFE), 'untrusted_issuer');
        assert.equal(stranger.requests.discovery, 0, 'an untrusted issuer is never fetched');
      } finally {
        await stranger.close();
      }
      await refused(withAssertion('not-a-jwt'), 'bad_assertion');
    });

    it('refuses an identity no client accepts, or several without client_id; client_id picks one', async () => {
      await refused(
        withAssertion(await saToken({ sub: 'system:serviceaccount:payments:nobody' })),
        'no_matching_client',
      );
      const shared = 'system:serviceaccount:shared:worker';
      const a = await h.createClient({
        token_endpoint_auth_method: 'federated_jwt',
        federated_identities: [{ issuer: k8s.url, subject: shared }],
      });
      const b = await h.createClient({
        token_endpoint_auth_method: 'federated_jwt',
        federated_identities: [{ issuer: k8s.url, subject: shared }],
      });
      const token = await saToken({ sub: shared });
      await refused(withAssertion(token), 'ambiguous_identity');
      for (const c of [a, b]) {
        const r = await withAssertion(token, { client_id: c.client_id });
        assert.equal(r.statusCode, 200, r.body);
        assert.equal(decodeJwt(r.json().access_token).payload.client_id, c.client_id);
      }
      // A client_id whose client does not accept the identity, or uses another method.
      await refused(withAssertion(await saToken(), { client_id: a.client_id }), 'no_matching_client');
      const basicClient = await h.createClient({});
      await refused(withAssertion(token, { client_id: basicClient.client_id }), 'wrong_method');
      await refused(withAssertion(token, { client_id: 'no-such-client' }), 'unknown_client');
      // Deleting a client takes it out of the index: the other is then the only one.
      assert.equal((await h.admin('DELETE', `/admin/clients/${a.client_id}`)).statusCode, 204);
      const only = await withAssertion(token);
      assert.equal(only.statusCode, 200, only.body);
      assert.equal(decodeJwt(only.json().access_token).payload.client_id, b.client_id);
    });

    it('matches the claims an identity names exactly', async () => {
      const subject = 'system:serviceaccount:ci:deployer';
      const c = await h.createClient({
        token_endpoint_auth_method: 'federated_jwt',
        federated_identities: [{ issuer: k8s.url, subject, claims: { cluster: 'prod', env: { tier: 1 } } }],
      });
      const ok = await withAssertion(await saToken({ sub: subject, cluster: 'prod', env: { tier: 1 } }));
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(decodeJwt(ok.json().access_token).payload.client_id, c.client_id);
      await refused(
        withAssertion(await saToken({ sub: subject, cluster: 'dev', env: { tier: 1 } })),
        'no_matching_client',
      );
      await refused(withAssertion(await saToken({ sub: subject, cluster: 'prod' })), 'no_matching_client');
      await refused(
        withAssertion(await saToken({ sub: subject, cluster: 'dev' }), { client_id: c.client_id }),
        'no_matching_client',
      );
    });

    it('still takes private_key_jwt assertions (jwt-bearer too) from clients named in iss', async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const c = await h.createClient({
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'c1' }] },
      });
      const assertion = await new SignJWT({ iss: c.client_id, sub: c.client_id, aud: ISSUER, jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: 'c1' })
        .setIssuedAt(now())
        .setExpirationTime(now() + 60)
        .sign(privateKey);
      const r = await withAssertion(assertion);
      assert.equal(r.statusCode, 200, r.body);
      await refused(withAssertion(assertion), 'replayed_assertion');
    });

    it('refuses at once, then never hangs, when the issuer is down, huge, slow, redirects or serves no JSON', async () => {
      // The issuer drops the connection, sends more than anyone reads, redirects or sends JSON cut short at
      // its keys (discovery answering), or answers too late.
      for (const mode of ['reset', 'huge', 'redirect', 'truncated', 'slow'] as const) {
        const issuer = await startIssuer();
        try {
          issuer.fault = mode;
          issuer.faultScope = mode === 'huge' || mode === 'truncated' ? 'keys' : 'all';
          const ti = await h.admin('POST', '/admin/trusted-issuers', { issuer: issuer.url });
          assert.equal(ti.statusCode, 201);
          const c = await h.createClient({
            token_endpoint_auth_method: 'federated_jwt',
            federated_identities: [{ issuer: issuer.url, subject: SA }],
          });
          const token = await issuer.sign({ iss: issuer.url, sub: SA, aud: ISSUER, iat: now(), exp: now() + 60 });
          const started = performance.now();
          await refused(withAssertion(token), 'issuer_keys_unavailable');
          assert.ok(performance.now() - started < 7000, `${mode}: answered within the fetch timeout`);
          // Within the cooldown the failure is not refetched: the next answer is immediate.
          const again = performance.now();
          await refused(withAssertion(token, { client_id: c.client_id }), 'issuer_keys_unavailable');
          assert.ok(performance.now() - again < 500, `${mode}: no second wait within the cooldown`);
          await h.admin('DELETE', `/admin/trusted-issuers/${ti.json().id}`);
        } finally {
          await issuer.close();
        }
      }
    });

    it('stops accepting an issuer’s tokens as soon as it is deleted, even one verified before', async () => {
      const issuer = await startIssuer();
      try {
        const ti = await h.admin('POST', '/admin/trusted-issuers', { issuer: issuer.url, jwks_uri: issuer.jwksUri });
        await h.createClient({
          token_endpoint_auth_method: 'federated_jwt',
          federated_identities: [{ issuer: issuer.url, subject: SA }],
        });
        const token = await issuer.sign({ iss: issuer.url, sub: SA, aud: ISSUER, iat: now(), exp: now() + 60 });
        assert.equal((await withAssertion(token)).statusCode, 200);
        assert.equal(issuer.requests.discovery, 0, 'a jwks_uri skips discovery');
        assert.equal((await h.admin('DELETE', `/admin/trusted-issuers/${ti.json().id}`)).statusCode, 204);
        await refused(withAssertion(token), 'untrusted_issuer');
      } finally {
        await issuer.close();
      }
    });

    it('takes a SPIFFE bundle endpoint: JWT-SVIDs (with or without iss) by jwt-spiffe, X.509 keys ignored', async () => {
      const spire = await startIssuer({ kind: 'spiffe' });
      try {
        const ti = await h.admin('POST', '/admin/trusted-issuers', {
          issuer: spire.url,
          kind: 'spiffe',
          jwks_uri: spire.jwksUri,
          trust_domain: 'example.org',
          max_token_lifetime: 300,
        });
        assert.equal(ti.statusCode, 201, ti.body);
        const spiffeId = 'spiffe://example.org/ns/payments/sa/pdf-caller';
        const c = await h.createClient({
          token_endpoint_auth_method: 'federated_jwt',
          federated_identities: [{ issuer: spire.url, subject: spiffeId }],
        });
        const svid = await spire.sign({ sub: spiffeId, aud: [ISSUER], iat: now(), exp: now() + 300 });
        const r = await withAssertion(svid, {}, JWT_SPIFFE);
        assert.equal(r.statusCode, 200, r.body);
        assert.equal(decodeJwt(r.json().access_token).payload.client_id, c.client_id);
        const withIss = await spire.sign({ iss: spire.url, sub: spiffeId, aud: ISSUER, iat: now(), exp: now() + 300 });
        assert.equal((await withAssertion(withIss, {}, JWT_SPIFFE)).statusCode, 200);
        await refused(
          withAssertion(await spire.sign({ sub: spiffeId, aud: ISSUER, iat: now(), exp: now() + 600 }), {}, JWT_SPIFFE),
          'lifetime_too_long',
        );
        await refused(
          withAssertion(
            await spire.sign({ sub: 'spiffe://other.org/x', aud: ISSUER, iat: now(), exp: now() + 60 }),
            {},
            JWT_SPIFFE,
          ),
          'untrusted_issuer',
        );
        // Its own iss, but a SPIFFE ID of another trust domain: no client accepts it, and named, it is refused.
        const foreignId = await spire.sign({
          iss: spire.url,
          sub: 'spiffe://other.org/x',
          aud: ISSUER,
          iat: now(),
          exp: now() + 60,
        });
        await refused(withAssertion(foreignId, {}, JWT_SPIFFE), 'no_matching_client');
        await refused(withAssertion(foreignId, { client_id: c.client_id }, JWT_SPIFFE), 'bad_assertion');
        assert.equal(spire.requests.jwks, 1, 'the bundle is fetched once');
      } finally {
        await spire.close();
      }
    });

    it('drops what a changed trusted issuer vouched for: a token verified before is checked again', async () => {
      const token = await saToken();
      assert.equal((await withAssertion(token)).statusCode, 200);
      const patched = await h.admin('PATCH', `/admin/trusted-issuers/${issuerId}`, {
        audience: 'https://other.example',
      });
      assert.equal(patched.statusCode, 200);
      try {
        await refused(withAssertion(token), 'wrong_audience');
      } finally {
        await h.admin('PATCH', `/admin/trusted-issuers/${issuerId}`, { audience: null });
      }
      assert.equal((await withAssertion(token)).statusCode, 200);
    });

    it('answers hostile assertions with 401 or 400, never a 500', async () => {
      const head = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'key-1' })).toString('base64url');
      const body = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');
      const sig = 'A'.repeat(86);
      const hostile = [
        `${head}.${body([1, 2])}.${sig}`,
        `${head}.${body('just a string')}.${sig}`,
        `${head}.${body({ iss: k8s.url, sub: 42, aud: ISSUER })}.${sig}`,
        `${head}.${body({ iss: k8s.url, aud: ISSUER })}.${sig}`,
        `${head}.${body({ iss: k8s.url, sub: SA, aud: ISSUER, exp: 'soon' })}.${sig}`,
        `${head}.${Buffer.from('{not json').toString('base64url')}.${sig}`,
        `${head}.${body({ iss: k8s.url, sub: SA, aud: ISSUER, pad: 'x'.repeat(20_000) })}.${sig}`,
        `${head}.${body({ iss: k8s.url, sub: SA })}.${sig}.extra`,
        `${head} .${body({ iss: k8s.url, sub: SA })}.${sig}`,
      ];
      for (const assertion of hostile) {
        for (const type of [JWT_BEARER, JWT_SPIFFE]) {
          const r = await withAssertion(assertion, {}, type);
          assert.ok([400, 401].includes(r.statusCode), `${r.statusCode} ${r.body}`);
          if (r.statusCode === 401) assert.deepEqual(r.json(), INVALID_CLIENT);
        }
      }
      const missing = await h.token({ grant_type: 'client_credentials', client_assertion_type: JWT_SPIFFE });
      assert.equal(missing.statusCode, 400);
      assert.equal(missing.json().error, 'invalid_request');
      const badId = await withAssertion(await saToken(), { client_id: 'x\u0001y' });
      assert.equal(badId.statusCode, 401);
    });

    it('takes inline keys for an issuer it cannot reach', async () => {
      const key = await standInKey('ES256', 'offline-1');
      const offline = 'https://oidc.offline-cluster.example';
      const ti = await h.admin('POST', '/admin/trusted-issuers', { issuer: offline, jwks: { keys: [key.publicJwk] } });
      assert.equal(ti.statusCode, 201, ti.body);
      await h.createClient({
        token_endpoint_auth_method: 'federated_jwt',
        federated_identities: [{ issuer: offline, subject: SA }],
      });
      const token = await new SignJWT({ iss: offline, sub: SA, aud: ISSUER })
        .setProtectedHeader({ alg: 'ES256', kid: 'offline-1' })
        .setIssuedAt(now())
        .setExpirationTime(now() + 60)
        .sign(key.privateKey);
      assert.equal((await withAssertion(token)).statusCode, 200);
    });
  });

  describe('token exchange', () => {
    it('takes a trusted issuer’s JWT as the subject token; a refused one is invalid_request', async () => {
      const exchanger = await h.createClient({
        grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'],
        scope: 'files.read',
        audience: ['files'],
      });
      const exchange = (subject: string, type = 'urn:ietf:params:oauth:token-type:jwt') =>
        h.token(
          {
            grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
            subject_token: subject,
            subject_token_type: type,
            audience: 'files',
          },
          { authorization: basic(exchanger.client_id, exchanger.client_secret) },
        );
      const platform = await saToken({ exp: now() + 300 });
      const r = await exchange(platform);
      assert.equal(r.statusCode, 200, r.body);
      const { payload } = decodeJwt(r.json().access_token);
      assert.equal(payload.sub, SA);
      assert.equal(payload.client_id, exchanger.client_id);
      assert.deepEqual(payload.act, { sub: exchanger.client_id });
      assert.ok((payload.exp as number) <= now() + 300, 'expires no later than the subject token');
      assert.equal((await exchange(platform, 'urn:ietf:params:oauth:token-type:access_token')).statusCode, 200);
      for (const bad of [
        await saToken({ aud: 'elsewhere' }),
        await saToken({ exp: now() + 7200 }),
        await saToken({}, { key: await standInKey() }),
      ]) {
        const refusedExchange = await exchange(bad);
        assert.equal(refusedExchange.statusCode, 400);
        assert.equal(refusedExchange.json().error, 'invalid_request');
      }
    });
  });
});

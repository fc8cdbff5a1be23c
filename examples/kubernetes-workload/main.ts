import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenClient, type FetchLike, JWT_BEARER_TYPE } from '@tessera/client';
import { decodeJwt } from 'jose';
import { startStandInIssuer } from '../../e2e/support/stand-in-issuer.js';
import { call, callAdmin } from '../shared/http.js';
import { abbreviate, brief, check, checkEqual, describeClaims, runExample, say, step } from '../shared/narrate.js';
import { showSameRefusals } from '../shared/refusals.js';
import { startTessera } from '../shared/start-tessera.js';
import { startCalendarService } from './calendar-service.js';

/**
 * A workload in Kubernetes gets Tessera tokens with no secret at all: the
 * kubelet projects a service-account token whose audience is Tessera into
 * the pod, Tessera trusts the cluster's service-account issuer, and the
 * Task Service's client is the one that accepts the identity
 * `system:serviceaccount:apps:task-service`. The cluster here is a local
 * stand-in (e2e/support/stand-in-issuer.ts): the API server's discovery
 * document and JWKS over loopback, tokens of the same shape, written into a
 * directory the way the kubelet writes a projected volume.
 */
const NAMESPACE = 'apps';
const SERVICE_ACCOUNT = 'task-service';
const SUBJECT = `system:serviceaccount:${NAMESPACE}:${SERVICE_ACCOUNT}`;

await runExample('A Kubernetes workload gets tokens with its service-account token, no secret', async (cleanup) => {
  step('Start a stand-in for the cluster’s service-account issuer');
  const cluster = await startStandInIssuer({ kind: 'kubernetes' });
  cleanup.defer('cluster issuer (stand-in)', () => cluster.close());
  say('what `kubectl get --raw /.well-known/openid-configuration` shows in a real cluster:');
  const discovery = await call('GET', `${cluster.issuer}/.well-known/openid-configuration`);
  checkEqual(discovery.json?.issuer, cluster.issuer, 'the discovery document names the issuer');
  const jwks = await call('GET', String(discovery.json?.jwks_uri));
  const keys = (jwks.json?.keys ?? []) as { kid: string; alg: string; use: string }[];
  check(keys.length === 1 && keys[0]?.use === 'sig' && keys[0]?.alg === 'RS256', 'one RS256 signing key');

  step('Start Tessera on a temporary embedded store');
  const tessera = await startTessera(cleanup);
  say(`issuer          ${tessera.issuer}`);
  say(`token_endpoint  ${tessera.metadata.token_endpoint}`);

  step('Trust the cluster’s issuer: its keys are found through its discovery document');
  const trusted = await callAdmin(tessera, 'POST', '/admin/trusted-issuers', {
    issuer: cluster.issuer,
    // The longest service-account token Tessera accepts: the pod asks for 10 minutes.
    max_token_lifetime: 3600,
    description: 'cluster prod-1 service accounts',
  });
  checkEqual(trusted.status, 201, 'POST /admin/trusted-issuers: 201');
  checkEqual(trusted.json.audience, tessera.issuer, 'its tokens must be addressed to Tessera (the default audience)');

  step('Register the Task Service: federated_jwt, accepting one service account, and no secret');
  const task = await tessera.registerClient({
    client_id: 'task-service',
    client_name: 'Task Service',
    token_endpoint_auth_method: 'federated_jwt',
    federated_identities: [{ issuer: cluster.issuer, subject: SUBJECT }],
    scope: 'event.view',
    audience: ['calendar'],
  });
  say(brief(task));
  checkEqual(task.client_secret, undefined, 'no client_secret was issued');

  step('Start the Calendar Service (node:http + @tessera/verify, audience "calendar")');
  const calendar = await startCalendarService(tessera.issuer, cleanup);
  say(`${calendar}  GET /events needs event.view`);

  step('The kubelet projects a token for Tessera into the pod');
  say('serviceAccountToken: { audience: <Tessera’s issuer>, expirationSeconds: 600, path: tessera }');
  const dir = await mkdtemp(join(tmpdir(), 'tessera-projected-'));
  cleanup.defer(`projected volume ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const projection = await cluster.project({
    dir,
    lifetimeSeconds: 600,
    mint: () =>
      cluster.serviceAccountToken({
        namespace: NAMESPACE,
        serviceAccount: SERVICE_ACCOUNT,
        audience: tessera.issuer,
        expirationSeconds: 600,
      }),
  });
  cleanup.defer('the kubelet’s token renewal (stand-in)', () => projection.stop());
  const projected = (await readFile(projection.path, 'utf8')).trim();
  const projectedClaims = decodeJwt(projected);
  say(`${projection.path}  ${abbreviate(projected)}`);
  say(describeClaims(projectedClaims));
  say(`kubernetes.io=${JSON.stringify(projectedClaims['kubernetes.io'])}`);
  checkEqual(projectedClaims.sub, SUBJECT, 'sub is the pod’s service account');

  step('The Task Service gets a token: createTokenClient({ issuer, clientAssertionFile }), no client id, no secret');
  const sent: URLSearchParams[] = [];
  const recording: FetchLike = (input, init) => {
    if (init?.method === 'POST') sent.push(new URLSearchParams(String(init.body)));
    return fetch(input, init);
  };
  const tokens = createTokenClient({ issuer: tessera.issuer, clientAssertionFile: projection.path, fetch: recording });
  const token = await tokens.getToken({ audience: 'calendar', scope: 'event.view' });
  const first = sent[0] ?? new URLSearchParams();
  say(`token request  ${brief(Object.fromEntries(first))}`);
  check(!first.has('client_id') && !first.has('client_secret'), 'the request carried no client_id and no secret');
  checkEqual(first.get('client_assertion_type'), JWT_BEARER_TYPE, 'client_assertion_type is jwt-bearer');
  check(first.get('client_assertion') === projected, 'client_assertion is the projected token');
  const claims = decodeJwt(token);
  say(`access_token ${abbreviate(token)}`);
  say(describeClaims(claims));
  checkEqual(claims.client_id, 'task-service', 'Tessera found the client that accepts the identity: task-service');

  step('The Task Service calls the Calendar Service');
  const events = await call('GET', `${calendar}/events`, { token });
  checkEqual(events.status, 200, 'the Calendar Service answered 200 OK');
  checkEqual(events.json?.caller, 'task-service', 'it was called by task-service');

  step('The kubelet renews the token (at 80 % of its lifetime; here at once): the next request sends the new one');
  const renewed = await projection.renew();
  say(`${projection.path}  ${abbreviate(renewed)}  (a new ..data directory, swapped in atomically)`);
  tokens.clear();
  await tokens.getToken({ audience: 'calendar', scope: 'event.view' });
  check(sent[1]?.get('client_assertion') === renewed, 'the second token request carried the renewed token');
  check(decodeJwt(renewed).jti !== projectedClaims.jti, 'a new token (another jti)');

  step('What Tessera refuses: all the same 401 invalid_client, the reason only in its log');
  const rogue = await startStandInIssuer({ kind: 'kubernetes' });
  cleanup.defer('a rogue issuer (stand-in)', () => rogue.close());
  const cases: [string, Promise<string>][] = [
    [
      'a token of another service account (no client accepts it)',
      cluster.serviceAccountToken({ namespace: NAMESPACE, serviceAccount: 'intruder', audience: tessera.issuer }),
    ],
    [
      'the right service account, for another audience (the API server’s)',
      cluster.serviceAccountToken({
        namespace: NAMESPACE,
        serviceAccount: SERVICE_ACCOUNT,
        audience: 'https://kubernetes.default.svc.cluster.local',
      }),
    ],
    [
      'a token that lives 24 h (max_token_lifetime is 1 h)',
      cluster.serviceAccountToken({
        namespace: NAMESPACE,
        serviceAccount: SERVICE_ACCOUNT,
        audience: tessera.issuer,
        expirationSeconds: 86_400,
      }),
    ],
    [
      'an expired token',
      cluster.serviceAccountToken({
        namespace: NAMESPACE,
        serviceAccount: SERVICE_ACCOUNT,
        audience: tessera.issuer,
        expirationSeconds: 600,
        issuedAt: Math.floor(Date.now() / 1000) - 700,
      }),
    ],
    [
      'the same claims signed by a key the cluster never published',
      rogue.sign({ ...projectedClaims, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 }),
    ],
  ];
  await showSameRefusals(tessera, JWT_BEARER_TYPE, cases, [
    'no_matching_client',
    'wrong_audience',
    'lifetime_too_long',
    'expired_assertion',
    'bad_signature',
  ]);
});

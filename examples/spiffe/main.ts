import { createTokenClient, type FetchLike, JWT_SPIFFE_TYPE } from '@tessera/client';
import { decodeJwt } from 'jose';
import { startStandInIssuer } from '../../e2e/support/stand-in-issuer.js';
import { startCalendarService } from '../kubernetes-workload/calendar-service.js';
import { call, callAdmin } from '../shared/http.js';
import { abbreviate, brief, check, checkEqual, describeClaims, runExample, say, step } from '../shared/narrate.js';
import { showSameRefusals } from '../shared/refusals.js';
import { startTessera } from '../shared/start-tessera.js';

/**
 * A workload with a SPIFFE identity gets Tessera tokens with its JWT-SVID,
 * no secret: Tessera trusts the trust domain's SPIFFE bundle endpoint (a
 * JWKS whose keys have `use: "jwt-svid"`, with `spiffe_refresh_hint`), and
 * the Task Service's client accepts the SPIFFE ID
 * `spiffe://example.org/ns/apps/sa/task-service`. The SPIRE server is a
 * local stand-in (e2e/support/stand-in-issuer.ts); the function that gives
 * the client its JWT-SVID stands for a call to the SPIRE agent's Workload API.
 */
const TRUST_DOMAIN = 'example.org';
const SPIFFE_ID = `spiffe://${TRUST_DOMAIN}/ns/apps/sa/task-service`;

await runExample('A SPIFFE workload gets tokens with its JWT-SVID, no secret', async (cleanup) => {
  step(`Start a stand-in for the SPIRE server of trust domain ${TRUST_DOMAIN}: its bundle endpoint`);
  const spire = await startStandInIssuer({ kind: 'spiffe', trustDomain: TRUST_DOMAIN });
  cleanup.defer('SPIRE bundle endpoint (stand-in)', () => spire.close());
  const bundle = await call('GET', spire.jwksUri);
  const keys = (bundle.json?.keys ?? []) as { use: string; kid: string }[];
  check(keys.filter((k) => k.use === 'jwt-svid').length === 1, 'one JWT-SVID key (use "jwt-svid")');
  check(
    keys.some((k) => k.use === 'x509-svid'),
    'beside the X.509 authority (use "x509-svid"), which signs no JWT',
  );
  check(typeof bundle.json?.spiffe_refresh_hint === 'number', 'the bundle says how often to refetch it');

  step('Start Tessera on a temporary embedded store');
  const tessera = await startTessera(cleanup);
  say(`issuer          ${tessera.issuer}`);

  step('Trust the trust domain: kind spiffe, its bundle endpoint, its trust domain');
  const trusted = await callAdmin(tessera, 'POST', '/admin/trusted-issuers', {
    issuer: spire.url,
    kind: 'spiffe',
    jwks_uri: spire.jwksUri,
    trust_domain: TRUST_DOMAIN,
    // SPIRE's JWT-SVIDs live 5 minutes by default.
    max_token_lifetime: 600,
  });
  checkEqual(trusted.status, 201, 'POST /admin/trusted-issuers: 201');

  step('Register the Task Service: federated_jwt, accepting one SPIFFE ID, and no secret');
  const task = await tessera.registerClient({
    client_id: 'task-service',
    client_name: 'Task Service',
    token_endpoint_auth_method: 'federated_jwt',
    federated_identities: [{ issuer: spire.url, subject: SPIFFE_ID }],
    scope: 'event.view',
    audience: ['calendar'],
  });
  say(brief(task));
  checkEqual(task.client_secret, undefined, 'no client_secret was issued');

  step('Start the Calendar Service (node:http + @tessera/verify, audience "calendar")');
  const calendar = await startCalendarService(tessera.issuer, cleanup);
  say(`${calendar}  GET /events needs event.view`);

  step('The Task Service gets a token with a JWT-SVID from the Workload API, assertion type jwt-spiffe');
  let svids = 0;
  const fetchJwtSvid = () => {
    // In a real pod: the SPIRE agent's Workload API, asked for a JWT-SVID with Tessera as audience.
    svids++;
    return spire.jwtSvid({ path: '/ns/apps/sa/task-service', audience: tessera.issuer });
  };
  const sent: URLSearchParams[] = [];
  const recording: FetchLike = (input, init) => {
    if (init?.method === 'POST') sent.push(new URLSearchParams(String(init.body)));
    return fetch(input, init);
  };
  const tokens = createTokenClient({
    issuer: tessera.issuer,
    clientAssertion: fetchJwtSvid,
    clientAssertionType: 'jwt-spiffe',
    fetch: recording,
  });
  const token = await tokens.getToken({ audience: 'calendar', scope: 'event.view' });
  const first = sent[0] ?? new URLSearchParams();
  say(`token request  ${brief(Object.fromEntries(first))}`);
  const svid = decodeJwt(first.get('client_assertion') ?? '');
  say(`JWT-SVID  ${describeClaims(svid)}`);
  checkEqual(svid.sub, SPIFFE_ID, 'the JWT-SVID names the workload’s SPIFFE ID');
  checkEqual(first.get('client_assertion_type'), JWT_SPIFFE_TYPE, 'client_assertion_type is jwt-spiffe');
  check(!first.has('client_id') && !first.has('client_secret'), 'the request carried no client_id and no secret');
  const claims = decodeJwt(token);
  say(`access_token ${abbreviate(token)}`);
  say(describeClaims(claims));
  checkEqual(claims.client_id, 'task-service', 'Tessera found the client that accepts the SPIFFE ID: task-service');

  step('The Task Service calls the Calendar Service');
  const events = await call('GET', `${calendar}/events`, { token });
  checkEqual(events.status, 200, 'the Calendar Service answered 200 OK');
  checkEqual(events.json?.caller, 'task-service', 'it was called by task-service');

  step('A second token request reuses the JWT-SVID while it has more than 30 s left');
  tokens.clear();
  await tokens.getToken({ audience: 'calendar', scope: 'event.view' });
  checkEqual(svids, 1, 'one JWT-SVID fetched for two token requests');
  check(sent[1]?.get('client_assertion') === first.get('client_assertion'), 'the same JWT-SVID was sent');

  step('What Tessera refuses: all the same 401 invalid_client, the reason only in its log');
  const other = await startStandInIssuer({ kind: 'spiffe', trustDomain: 'other.example' });
  cleanup.defer('another trust domain’s SPIRE (stand-in)', () => other.close());
  const cases: [string, Promise<string>][] = [
    [
      'a JWT-SVID of another workload of the trust domain',
      spire.jwtSvid({ path: '/ns/apps/sa/intruder', audience: tessera.issuer }),
    ],
    [
      'the right SPIFFE ID, for another audience',
      spire.jwtSvid({ path: '/ns/apps/sa/task-service', audience: 'spiffe://example.org/ns/db/sa/postgres' }),
    ],
    [
      'a JWT-SVID from a trust domain Tessera does not trust',
      other.jwtSvid({ path: '/ns/apps/sa/task-service', audience: tessera.issuer }),
    ],
    [
      'a JWT-SVID that lives 24 h (max_token_lifetime is 10 min)',
      spire.jwtSvid({ path: '/ns/apps/sa/task-service', audience: tessera.issuer, lifetimeSeconds: 86_400 }),
    ],
  ];
  await showSameRefusals(tessera, JWT_SPIFFE_TYPE, cases, [
    'no_matching_client',
    'wrong_audience',
    'untrusted_issuer',
    'lifetime_too_long',
  ]);
});

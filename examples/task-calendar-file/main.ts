import { createTokenClient, TokenEndpointError } from '@tessera/client';
import { decodeJwt } from 'jose';
import { call } from '../shared/http.js';
import {
  abbreviate,
  check,
  checkEqual,
  describeClaims,
  expectRejection,
  runExample,
  say,
  statusLine,
  step,
} from '../shared/narrate.js';
import { startTessera } from '../shared/start-tessera.js';
import { startCalendarService } from './calendar-service.js';
import { startFileService } from './file-service.js';

/**
 * Seed 000 (SuperTokens, client credentials): the Task Service creates an
 * event on the Calendar Service and reads a file from the File Service, each
 * with a token for that service's audience and just the scope the call needs.
 */
const TASK_SCOPES = 'event.view event.create event.update event.delete file.view file.create file.update file.delete';

await runExample('Task Service → Calendar Service + File Service (seed 000)', async (cleanup) => {
  step('Start Tessera on a temporary embedded store');
  const tessera = await startTessera(cleanup);
  say(`issuer          ${tessera.issuer}`);
  say(`token_endpoint  ${tessera.metadata.token_endpoint}`);
  say(`jwks_uri        ${tessera.metadata.jwks_uri}`);
  check(
    (tessera.metadata.grant_types_supported as string[] | undefined)?.includes('client_credentials') === true,
    '/healthz answered 200; discovery names this issuer and the client_credentials grant',
  );

  step('Register the Task Service through the admin API');
  const task = await tessera.registerClient({
    client_name: 'Task Service',
    scope: TASK_SCOPES,
    audience: ['event', 'file'],
  });
  say(`POST /admin/clients → 201  client_id=${task.client_id}`);
  say(`scope    "${task.scope}"`);
  say(`audience ${JSON.stringify(task.audience)}`);
  check(typeof task.client_secret === 'string', 'a client_secret was returned, this once (not shown)');

  step('Start the Calendar Service (Express + @tessera/verify/express, audience "event")');
  const calendar = await startCalendarService(tessera.issuer, cleanup);
  say(`${calendar}  POST /events needs event.create, GET /events needs event.view`);

  step('Start the File Service (Fastify + @tessera/verify/fastify, audience "file")');
  const files = await startFileService(tessera.issuer, cleanup);
  say(`${files}  GET /files/:id needs file.view`);

  const fetched: string[] = [];
  const taskService = createTokenClient({
    issuer: tessera.issuer,
    clientId: task.client_id,
    clientSecret: task.client_secret ?? '',
    hooks: { onTokenFetched: (e) => fetched.push(`${e.audience} ${e.scope}`) },
  });

  step('Task Service gets a token for the Calendar: audience "event", scope "event.create"');
  const createToken = await taskService.getToken({ audience: 'event', scope: 'event.create' });
  const createClaims = decodeJwt(createToken);
  say(`access_token ${abbreviate(createToken)}`);
  say(describeClaims(createClaims));
  checkEqual(createClaims.aud, 'event', 'aud is "event"');
  checkEqual(createClaims.scp, ['event.create'], 'scp is ["event.create"], nothing more');
  checkEqual(createClaims.sub, task.client_id, 'sub is the Task Service');

  step('Task Service creates an event on the Calendar Service');
  const created = await call('POST', `${calendar}/events`, {
    token: createToken,
    json: { title: 'Plan the sprint review' },
  });
  checkEqual(created.status, 201, 'the Calendar Service answered 201 Created');
  checkEqual(created.json?.created_by, task.client_id, 'the event is recorded as created by the Task Service');

  step('Task Service gets a token for the File Service and reads file 42');
  const viewFileToken = await taskService.getToken({ audience: 'file', scope: 'file.view' });
  say(describeClaims(decodeJwt(viewFileToken)));
  const file = await call('GET', `${files}/files/42`, { token: viewFileToken });
  checkEqual(file.status, 200, 'the File Service answered 200 OK');
  checkEqual(file.json?.name, 'agenda.md', 'with the file');

  step('The next call reuses the cached token: no new token request');
  const again = await taskService.getToken({ audience: 'event', scope: 'event.create' });
  say(`token requests so far: ${fetched.length} (${fetched.map((k) => `"${k}"`).join(', ')})`);
  check(again === createToken, 'getToken() returned the cached event.create token');
  checkEqual(fetched.length, 2, 'two token requests for two audience + scope pairs');

  step('A token without the needed scope: "event.view" only, sent to POST /events');
  const viewToken = await taskService.getToken({ audience: 'event', scope: 'event.view' });
  say(describeClaims(decodeJwt(viewToken)));
  const noScope = await call('POST', `${calendar}/events`, {
    token: viewToken,
    json: { title: 'Should not exist' },
    show: ['www-authenticate'],
  });
  checkEqual(noScope.status, 403, 'the Calendar Service answered 403');
  checkEqual(noScope.json?.error, 'insufficient_scope', 'error is insufficient_scope');
  check(
    /error="insufficient_scope"/.test(noScope.headers.get('www-authenticate') ?? '') &&
      /scope="event.create"/.test(noScope.headers.get('www-authenticate') ?? ''),
    'WWW-Authenticate names the missing scope event.create',
  );
  const listed = await call('GET', `${calendar}/events`, { token: viewToken });
  checkEqual(listed.status, 200, 'the same token may list events (GET /events needs event.view)');
  checkEqual((listed.json?.events as unknown[] | undefined)?.length, 1, 'only the first event exists');

  step('A token for the File Service ("aud": "file") sent to the Calendar Service');
  const wrongAudience = await call('POST', `${calendar}/events`, {
    token: viewFileToken,
    json: { title: 'Should not exist' },
    show: ['www-authenticate'],
  });
  checkEqual(wrongAudience.status, 401, 'the Calendar Service answered 401');
  checkEqual(wrongAudience.json?.error, 'invalid_token', 'error is invalid_token');
  check(
    /^Bearer error="invalid_token"/.test(wrongAudience.headers.get('www-authenticate') ?? ''),
    'WWW-Authenticate: Bearer error="invalid_token"',
  );

  step('No token at all');
  const anonymous = await call('POST', `${calendar}/events`, {
    json: { title: 'Should not exist' },
    show: ['www-authenticate'],
  });
  checkEqual(anonymous.status, 401, 'the Calendar Service answered 401');
  checkEqual(anonymous.headers.get('www-authenticate'), 'Bearer', 'WWW-Authenticate: Bearer');
  const anonymousFile = await call('GET', `${files}/files/42`, { show: ['www-authenticate'] });
  checkEqual(anonymousFile.status, 401, 'the File Service answered 401 too');

  step('Tessera itself refuses a scope or an audience the Task Service was not given');
  for (const [target, expected] of [
    [{ audience: 'event', scope: 'billing.read' }, 'invalid_scope'],
    [{ audience: 'payments', scope: 'event.view' }, 'invalid_target'],
  ] as const) {
    const err = await expectRejection(() => taskService.getToken(target), `getToken(${JSON.stringify(target)}) fails`);
    const ok = err instanceof TokenEndpointError;
    say(
      `getToken(${JSON.stringify(target)}) → ${ok ? `${statusLine(err.status ?? 0)} ${err.error}: ${err.errorDescription}` : String(err)}`,
    );
    check(ok && err.status === 400 && err.error === expected, `token endpoint answered 400 ${expected}`);
  }
});

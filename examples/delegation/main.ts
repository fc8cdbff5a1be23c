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
 * Delegation with token exchange (RFC 8693): the Task Service calls the
 * Calendar Service, which must read a file from the File Service on the
 * Task Service's behalf. It exchanges the token it received for one scoped
 * to the File Service, whose `sub` stays the Task Service and whose `act`
 * names the Calendar Service.
 */
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

await runExample('Task Service → Calendar Service → File Service, by token exchange (RFC 8693)', async (cleanup) => {
  step('Start Tessera on a temporary embedded store');
  const tessera = await startTessera(cleanup);
  const { introspection_endpoint, revocation_endpoint } = tessera.metadata;
  say(`issuer          ${tessera.issuer}`);
  say(`grant_types_supported ${JSON.stringify(tessera.metadata.grant_types_supported)}`);
  check(
    (tessera.metadata.grant_types_supported as string[] | undefined)?.includes(TOKEN_EXCHANGE) === true,
    'discovery names the token-exchange grant',
  );

  step('Register the three services through the admin API');
  const task = await tessera.registerClient({
    client_id: 'task-service',
    client_name: 'Task Service',
    // file.read: the Task Service lets whoever it calls read files for it, and no more.
    scope: 'calendar.read file.read',
    audience: ['calendar'],
  });
  say(`task-service      scope "${task.scope}"  audience ${JSON.stringify(task.audience)}`);
  const calendarClient = await tessera.registerClient({
    client_id: 'calendar-service',
    client_name: 'Calendar Service',
    grant_types: ['client_credentials', TOKEN_EXCHANGE],
    scope: 'file.read file.write',
    audience: ['file'],
  });
  say(
    `calendar-service  scope "${calendarClient.scope}"  audience ${JSON.stringify(calendarClient.audience)}  grant_types ${JSON.stringify(calendarClient.grant_types)}`,
  );
  checkEqual(calendarClient.grant_types, ['client_credentials', TOKEN_EXCHANGE], 'the Calendar Service may exchange');
  const fileClient = await tessera.registerClient({
    client_id: 'file-service',
    client_name: 'File Service',
    grant_types: [],
  });
  say(`file-service      grant_types ${JSON.stringify(fileClient.grant_types)} (it only introspects)`);

  step('Start the File Service (node:http + @tessera/verify, audience "file", maxDelegationDepth 1)');
  const files = await startFileService(tessera.issuer, cleanup);
  say(`${files}  GET /files/:id needs file.read`);

  step('Start the Calendar Service (Express + @tessera/verify, audience "calendar")');
  const exchanges: string[] = [];
  const calendar = await startCalendarService(
    tessera.issuer,
    { clientId: calendarClient.client_id, clientSecret: calendarClient.client_secret ?? '' },
    files,
    cleanup,
    { onTokenFetched: (e) => exchanges.push(`${e.audience} ${e.scope}`) },
  );
  say(`${calendar.url}  GET /events/:id/attachment needs calendar.read, and reads the file on the caller's behalf`);

  step('Task Service gets a client-credentials token for the Calendar: audience "calendar"');
  const taskTokens = createTokenClient({
    issuer: tessera.issuer,
    clientId: task.client_id,
    clientSecret: task.client_secret ?? '',
  });
  const taskToken = await taskTokens.getToken({ audience: 'calendar', scope: 'calendar.read file.read' });
  const taskClaims = decodeJwt(taskToken);
  say(`access_token ${abbreviate(taskToken)}`);
  say(describeClaims(taskClaims));
  checkEqual(taskClaims.sub, 'task-service', 'sub is the Task Service');
  checkEqual(taskClaims.act, undefined, 'no act: the Task Service calls for itself');

  step('Task Service asks the Calendar Service for an event attachment');
  const attachment = await call('GET', `${calendar.url}/events/evt_1/attachment`, { token: taskToken });
  checkEqual(attachment.status, 200, 'the Calendar Service answered 200 OK, with the file');
  checkEqual(attachment.json?.read_for, 'task-service', 'the File Service read it for task-service (sub)');
  checkEqual(attachment.json?.acting, 'calendar-service', 'acting: calendar-service (act.sub)');
  checkEqual(
    exchanges,
    ['file file.read'],
    'the Calendar Service made one exchange, for audience file, scope file.read',
  );

  step('The exchanged token the Calendar Service used (from its cache: no second exchange)');
  const hooksBefore = exchanges.length;
  const exchanged = await calendar.tokens.exchangeToken({
    subjectToken: taskToken,
    audience: 'file',
    scope: 'file.read',
  });
  const exchangedClaims = decodeJwt(exchanged);
  say(`access_token ${abbreviate(exchanged)}`);
  say(describeClaims(exchangedClaims));
  say(`act=${JSON.stringify(exchangedClaims.act)}`);
  checkEqual(exchanges.length, hooksBefore, 'served from the Calendar Service’s exchange cache');
  checkEqual(calendar.tokens.exchangeCacheSize, 1, 'one exchanged token cached');
  checkEqual(exchangedClaims.sub, 'task-service', 'sub stays the Task Service');
  checkEqual(exchangedClaims.client_id, 'calendar-service', 'client_id is the Calendar Service');
  checkEqual(exchangedClaims.act, { sub: 'calendar-service' }, 'act is {"sub": "calendar-service"}');
  checkEqual(exchangedClaims.aud, 'file', 'aud is "file"');
  check(
    typeof exchangedClaims.exp === 'number' &&
      typeof taskClaims.exp === 'number' &&
      exchangedClaims.exp <= taskClaims.exp,
    'it expires no later than the Task Service’s token',
  );

  step('The Calendar Service tries to widen: file.read file.write, though the Task Service gave only file.read');
  const widening = { subjectToken: taskToken, audience: 'file', scope: 'file.read file.write' };
  const refused = await expectRejection(
    () => calendar.tokens.exchangeToken(widening),
    'exchangeToken(file.read file.write) fails',
  );
  const isEndpointError = refused instanceof TokenEndpointError;
  say(
    `exchangeToken({ audience: "file", scope: "file.read file.write" }) → ${isEndpointError ? `${statusLine(refused.status)} ${refused.error}: ${refused.errorDescription}` : String(refused)}`,
  );
  check(
    isEndpointError && refused.status === 400 && refused.error === 'invalid_scope',
    'token endpoint answered 400 invalid_scope',
  );

  step('The Task Service revokes its token: the token exchanged from it becomes inactive too');
  const fileCredentials = { clientId: fileClient.client_id, clientSecret: fileClient.client_secret ?? '' };
  const before = await call('POST', introspection_endpoint, {
    basic: fileCredentials,
    form: new URLSearchParams({ token: exchanged }),
  });
  checkEqual(before.json?.active, true, 'before: the exchanged token is active at introspection');
  const revoked = await call('POST', revocation_endpoint, {
    basic: { clientId: task.client_id, clientSecret: task.client_secret ?? '' },
    form: new URLSearchParams({ token: taskToken }),
  });
  checkEqual(revoked.status, 200, 'revocation endpoint: 200');
  const afterRevocation = await call('POST', introspection_endpoint, {
    basic: fileCredentials,
    form: new URLSearchParams({ token: exchanged }),
  });
  checkEqual(afterRevocation.json, { active: false }, 'after: the exchanged token introspects as inactive');
});

import { createTokenClient } from '@tessera/client';
import * as jose from 'jose';
import { call } from '../shared/http.js';
import { abbreviate, brief, check, checkEqual, describeClaims, runExample, say, step } from '../shared/narrate.js';
import { startTessera } from '../shared/start-tessera.js';
import { parametersFromAuthority, ValidateToken, validateClientCredentialsToken } from './jwt-bearer.js';
import { seedValidators } from './supertokens-jose.js';

/**
 * The verification code of the seeds, unchanged in substance, against
 * Tessera: SuperTokens' jose snippets (seed 000), the IdentityServer4
 * JwtBearer setup (seed 002) and the .NET TokenValidationParameters check
 * (seed 000).
 */
const TASK_SCOPES = 'event.view event.create event.update event.delete file.view file.create file.update file.delete';

await runExample('The seeds’ verification snippets against Tessera (seeds 000 and 002)', async (cleanup) => {
  step('Start Tessera on a temporary embedded store');
  const tessera = await startTessera(cleanup);
  const { token_endpoint, jwks_uri } = tessera.metadata;
  say(`issuer ${tessera.issuer}, jwks_uri ${jwks_uri}`);

  step('Register the Task Service as seed 000 does, plus the claim its snippets check: "stt": 1');
  const task = await tessera.registerClient({
    client_name: 'Task Service',
    grant_types: ['client_credentials'],
    scope: TASK_SCOPES,
    audience: ['event', 'file'],
    claims: { stt: 1 },
    // The seed's token request puts client_id and client_secret in the body.
    token_endpoint_auth_method: 'client_secret_post',
  });
  say(`client_id=${task.client_id}  claims ${JSON.stringify(task.claims)}  auth client_secret_post`);

  step('Get a token with the request of seed 000, as written: a JSON body, scope as an array');
  const seedRequest = {
    client_id: task.client_id,
    client_secret: task.client_secret,
    grant_type: 'client_credentials',
    scope: ['event.create'],
    audience: 'event',
  };
  const issued = await call('POST', token_endpoint, { json: seedRequest });
  checkEqual(issued.status, 200, 'token endpoint: 200');
  const taskToken = String(issued.json?.access_token);
  const taskClaims = jose.decodeJwt(taskToken);
  say(describeClaims(taskClaims));
  checkEqual(
    [taskClaims.stt, taskClaims.scp],
    [1, ['event.create']],
    'the token carries stt = 1 and scp = ["event.create"]',
  );

  const seed = seedValidators(jwks_uri, 'event', 'event.create');

  step("Seed 000's validateToken(): jwtVerify(jwt, JWKS, { requiredClaims: ['stt', 'scp', 'sub'] }), stt === 1");
  const payload = await seed.validateToken(taskToken);
  say(`→ returned the payload: stt=${payload.stt} scp=${JSON.stringify(payload.scp)} sub=${payload.sub}`);
  check(payload.stt === 1 && payload.sub === task.client_id, 'validateToken() accepts the Tessera token');

  step("Seed 000's validateClientCredentialsToken(): audience 'event', required scope 'event.create'");
  const accepted = await seed.validateClientCredentialsToken(taskToken);
  say(`→ ${accepted}`);
  checkEqual(accepted, true, 'validateClientCredentialsToken() returns true');

  step('A client registered without "stt": the snippets refuse its tokens');
  const legacy = await tessera.registerClient({
    client_name: 'Legacy Service (no stt claim)',
    scope: 'event.create',
    audience: ['event'],
  });
  const legacyClient = createTokenClient({
    issuer: tessera.issuer,
    clientId: legacy.client_id,
    clientSecret: legacy.client_secret ?? '',
  });
  const legacyToken = await legacyClient.getToken({ audience: 'event', scope: 'event.create' });
  say(describeClaims(jose.decodeJwt(legacyToken)));
  let refusal: unknown;
  try {
    await seed.validateToken(legacyToken);
  } catch (err) {
    refusal = err;
  }
  say(`validateToken() → ${refusal instanceof Error ? `${refusal.name}: ${refusal.message}` : 'no error'}`);
  check(
    refusal instanceof jose.errors.JWTClaimValidationFailed && refusal.claim === 'stt',
    'validateToken() throws: missing required "stt" claim',
  );
  const legacyAccepted = await seed.validateClientCredentialsToken(legacyToken);
  say(`validateClientCredentialsToken() → ${legacyAccepted}`);
  checkEqual(legacyAccepted, false, 'validateClientCredentialsToken() returns false');

  step('A Task Service token for the File Service fails the Calendar snippet (audience "event")');
  const taskClient = createTokenClient({
    issuer: tessera.issuer,
    clientId: task.client_id,
    clientSecret: task.client_secret ?? '',
    authMethod: 'client_secret_post',
  });
  const fileToken = await taskClient.getToken({ audience: 'file', scope: 'file.view' });
  const fileAccepted = await seed.validateClientCredentialsToken(fileToken);
  say(`aud=${JSON.stringify(jose.decodeJwt(fileToken).aud)} → validateClientCredentialsToken() → ${fileAccepted}`);
  checkEqual(fileAccepted, false, 'returns false');

  step('Register the client of seed 002 (IdentityServer4): "client", scope "api1", for the API "api1"');
  const isClient = await tessera.registerClient({
    client_id: 'client',
    client_name: 'client',
    scope: 'api1',
    audience: ['api1'],
    token_endpoint_auth_method: 'client_secret_post',
  });
  say(`client_id=${isClient.client_id}  scope "${isClient.scope}"  audience ${JSON.stringify(isClient.audience)}`);

  step("Get a token with seed 002's form request: client_id, client_secret, scope=api1, grant_type");
  const form = new URLSearchParams({
    client_id: 'client',
    client_secret: isClient.client_secret ?? '',
    scope: 'api1',
    grant_type: 'client_credentials',
  });
  const isIssued = await call('POST', token_endpoint, { form });
  checkEqual(isIssued.status, 200, 'token endpoint: 200');
  const apiToken = String(isIssued.json?.access_token);
  const apiClaims = jose.decodeJwt(apiToken);
  const { nbf, exp, iss, aud, client_id, scope } = apiClaims;
  say(`claims ${brief({ nbf, exp, iss, aud, client_id, scope })}`);
  checkEqual([aud, client_id, scope], ['api1', 'client', 'api1'], 'aud "api1", client_id "client", scope "api1"');

  step('AddJwtBearer(o => { o.Authority = issuer; o.Audience = "api1"; }): parameters from discovery');
  const api1 = await parametersFromAuthority(tessera.issuer, 'api1');
  say(`GET ${tessera.issuer}/.well-known/openid-configuration`);
  say(`ValidIssuer=${api1.ValidIssuer}  ValidAudience=${api1.ValidAudience}  ClockSkew=${api1.ClockSkew} s`);
  say(`IssuerSigningKeys from ${jwks_uri}`);
  const validated = await ValidateToken(apiToken, api1);
  say(`ValidateToken(${abbreviate(apiToken)}) → valid, client_id=${validated.client_id}`);
  check(validated.client_id === 'client', 'signature, issuer, audience and lifetime validated: [Authorize] passes');

  step('The same token at an API whose Audience is "api2"');
  const api2 = await parametersFromAuthority(tessera.issuer, 'api2');
  const wrongAudience = await validateClientCredentialsToken(apiToken, api2, 'api1');
  say(`→ ${wrongAudience.reason}`);
  check(!wrongAudience.valid && wrongAudience.reason.startsWith('IDX10214'), 'refused: audience validation failed');

  step('The same token two hours later (lifetime 3600 s, ClockSkew 5 min)');
  const later = new Date(Date.now() + 2 * 3600 * 1000);
  const expired = await validateClientCredentialsToken(apiToken, api1, 'api1', later);
  say(`→ ${expired.reason}`);
  check(!expired.valid && expired.reason.startsWith('IDX10223'), 'refused: the token is expired');

  step('The token with its payload edited (scope "api1 admin"), signature kept');
  const [header, , signature] = apiToken.split('.');
  const forgedPayload = Buffer.from(JSON.stringify({ ...apiClaims, scope: 'api1 admin' })).toString('base64url');
  const forged = await validateClientCredentialsToken(`${header}.${forgedPayload}.${signature}`, api1, 'api1');
  say(`→ ${forged.reason}`);
  check(!forged.valid && forged.reason.startsWith('IDX10503'), 'refused: signature validation failed');

  step("Seed 000's .NET ClientCredentialsTokenValidator: ValidAudience 'event', then stt and scp 'event.create'");
  const calendar = await parametersFromAuthority(tessera.issuer, 'event');
  const cases: [string, string, boolean][] = [
    ['Task Service token, scp ["event.create"]', taskToken, true],
    ['Legacy Service token, no stt', legacyToken, false],
    [
      'Task Service token, scp ["event.view"]',
      await taskClient.getToken({ audience: 'event', scope: 'event.view' }),
      false,
    ],
  ];
  for (const [label, token, expected] of cases) {
    const outcome = await validateClientCredentialsToken(token, calendar, 'event.create');
    say(`${label} → ${outcome.valid}: ${outcome.reason}`);
    check(outcome.valid === expected, `${label}: ${expected ? 'accepted' : 'refused'}`);
  }
});

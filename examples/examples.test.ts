import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * Runs every example as users do (`node --import tsx examples/<name>/main.ts`)
 * and checks its exit code and the lines that show each expected outcome.
 */
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const TIMEOUT_MS = 60_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function runScript(
  script: string,
  onOutput?: (output: string, kill: (s: NodeJS.Signals) => void) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, script)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish in ${TIMEOUT_MS} ms:\n${output}`));
    }, TIMEOUT_MS);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      onOutput?.(output, (s) => child.kill(s));
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

/** Asserts each line appears, in this order. */
function assertInOrder(output: string, expected: (string | RegExp)[]): void {
  let from = 0;
  for (const line of expected) {
    const rest = output.slice(from);
    const match = typeof line === 'string' ? rest.indexOf(line) : (rest.match(line)?.index ?? -1);
    assert.ok(match >= 0, `expected ${line} after position ${from} in:\n${output}`);
    from += match;
  }
}

/** Everything an example started is gone: its Tessera process and temporary store. */
function assertStopped(output: string): void {
  const pid = Number(output.match(/stopped Tessera \(pid (\d+)\)/)?.[1]);
  assert.ok(pid > 0, `no "stopped Tessera" line in:\n${output}`);
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `Tessera (pid ${pid}) is still running`);
  const dir = output.match(/stopped temporary store (\S+)/)?.[1];
  assert.ok(dir && !existsSync(dir), `the temporary store ${dir} was not removed`);
}

function assertNoWholeTokens(output: string): void {
  assert.doesNotMatch(output, /eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/, 'a whole JWT was printed');
  assert.doesNotMatch(output, /tessera_at_[\w-]{12,}/, 'a whole opaque token was printed');
  assert.doesNotMatch(output, /"client_secret":"(?!«hidden»)/, 'a client secret was printed');
}

async function runExample(name: string): Promise<string> {
  const { code, output } = await runScript(`${name}/main.ts`);
  assert.equal(code, 0, `${name} exited with ${code}:\n${output}`);
  assert.match(output, /PASS: \d+ steps, \d+ checks/);
  assert.doesNotMatch(output, /✗/);
  assertStopped(output);
  assertNoWholeTokens(output);
  return output;
}

describe('examples', () => {
  test('task-calendar-file: seed 000, scope and audience rules', { timeout: TIMEOUT_MS }, async () => {
    const output = await runExample('task-calendar-file');
    assertInOrder(output, [
      'Task Service creates an event on the Calendar Service',
      '← 201 Created',
      '✓ the event is recorded as created by the Task Service',
      '← 200 OK',
      '✓ the File Service answered 200 OK',
      '✓ getToken() returned the cached event.create token',
      '← 403 Forbidden',
      'WWW-Authenticate: Bearer error="insufficient_scope"',
      'scope="event.create"',
      '✓ error is insufficient_scope',
      'A token for the File Service ("aud": "file") sent to the Calendar Service',
      '← 401 Unauthorized',
      'WWW-Authenticate: Bearer error="invalid_token"',
      '✓ error is invalid_token',
      'No token at all',
      '← 401 Unauthorized',
      /WWW-Authenticate: Bearer\n/,
      '400 Bad Request invalid_scope',
      '400 Bad Request invalid_target',
      'stopped File Service (Fastify)',
      'stopped Calendar Service (Express)',
    ]);
  });

  test('payment-pdf: seeds 002/003, invalid_client, audience, introspection', { timeout: TIMEOUT_MS }, async () => {
    const output = await runExample('payment-pdf');
    assertInOrder(output, [
      'Content-Type: application/pdf',
      '"%PDF-1.4\\n',
      '✓ the body is a PDF (starts with %PDF-1.4)',
      'getToken() as "inventory-service" → 401 Unauthorized invalid_client',
      '"error":"invalid_client"',
      '✓ the same answer as for an unknown client',
      'A token for another audience ("ledger") sent to the PDF Service',
      'WWW-Authenticate: Bearer error="invalid_token"',
      '"error":"unauthorized_client"',
      'access_token tessera_at_',
      'X-Token-Check: introspected',
      '✓ revocation endpoint: 200',
      '"error":"invalid_token","error_description":"The access token is not active"',
      'stopped PDF Service (node:http)',
    ]);
  });

  test('seed-snippets: the seeds’ jose and .NET checks', { timeout: TIMEOUT_MS }, async () => {
    const output = await runExample('seed-snippets');
    assertInOrder(output, [
      '"scope":["event.create"],"audience":"event"',
      '✓ validateToken() accepts the Tessera token',
      '✓ validateClientCredentialsToken() returns true',
      'validateToken() → JWTClaimValidationFailed: missing required "stt" claim',
      '✓ validateClientCredentialsToken() returns false',
      '"aud":"api1","client_id":"client","scope":"api1"',
      '✓ signature, issuer, audience and lifetime validated',
      'IDX10214: Audience validation failed.',
      'IDX10223: Lifetime validation failed.',
      'IDX10503: Signature validation failed.',
      '✓ Task Service token, scp ["event.create"]: accepted',
      '✓ Legacy Service token, no stt: refused',
      '✓ Task Service token, scp ["event.view"]: refused',
    ]);
  });

  test('private-key-jwt: no shared secret, replay refused', { timeout: TIMEOUT_MS }, async () => {
    const output = await runExample('private-key-jwt');
    assertInOrder(output, [
      '✓ no client_secret was issued',
      '✓ verified: issued to the Report Service',
      '← 200 OK',
      '✓ first use: 200, a token',
      '← 401 Unauthorized',
      '"error":"invalid_client"',
      '✓ second use: 401',
      '✓ and it verifies',
    ]);
    assert.doesNotMatch(output, /"d":"(?!«hidden»)/, 'a private key was printed');
  });

  test('delegation: token exchange, sub kept, act added, never widened', { timeout: TIMEOUT_MS }, async () => {
    const output = await runExample('delegation');
    assertInOrder(output, [
      '✓ discovery names the token-exchange grant',
      '✓ the Calendar Service may exchange',
      'Task Service asks the Calendar Service for an event attachment',
      'Calendar Service: called by task-service; exchanging its token for one to the File Service',
      'File Service: reading for task-service, acting: calendar-service',
      '← 200 OK',
      '✓ the File Service read it for task-service (sub)',
      '✓ acting: calendar-service (act.sub)',
      '✓ the Calendar Service made one exchange, for audience file, scope file.read',
      'act={"sub":"calendar-service"}',
      '✓ served from the Calendar Service’s exchange cache',
      '✓ it expires no later than the Task Service’s token',
      '400 Bad Request invalid_scope',
      '✓ before: the exchanged token is active at introspection',
      '✓ revocation endpoint: 200',
      '"active":false',
      '✓ after: the exchanged token introspects as inactive',
      'stopped Calendar Service (Express)',
      'stopped File Service (node:http)',
    ]);
  });

  test('kubernetes-workload: a projected service-account token, no secret', { timeout: TIMEOUT_MS }, async () => {
    const output = await runExample('kubernetes-workload');
    assertInOrder(output, [
      '✓ the discovery document names the issuer',
      '→ POST /admin/trusted-issuers  Bearer «admin key»',
      '← 201 Created',
      '✓ no client_secret was issued',
      'sub="system:serviceaccount:apps:task-service"',
      '✓ the request carried no client_id and no secret',
      '✓ client_assertion is the projected token',
      '✓ Tessera found the client that accepts the identity: task-service',
      'Calendar Service: task-service lists events',
      '✓ the Calendar Service answered 200 OK',
      '✓ the second token request carried the renewed token',
      'a token of another service account',
      '"error":"invalid_client"',
      'the right service account, for another audience',
      'a token that lives 24 h',
      'an expired token',
      'signed by a key the cluster never published',
      '✓ 401 invalid_client, the same body',
      '✓ one refused as no_matching_client',
      '✓ one refused as wrong_audience',
      '✓ one refused as lifetime_too_long',
      '✓ one refused as expired_assertion',
      '✓ one refused as bad_signature',
      'stopped Calendar Service (node:http)',
      'stopped cluster issuer (stand-in)',
    ]);
    assert.equal(output.match(/✓ 401 invalid_client, the same body/g)?.length, 5);
    assert.doesNotMatch(output, /admin_key|Bearer [A-Za-z0-9_-]{20,}/, 'the admin key was printed');
  });

  test('spiffe: a JWT-SVID from a bundle endpoint, jwt-spiffe, no secret', { timeout: TIMEOUT_MS }, async () => {
    const output = await runExample('spiffe');
    assertInOrder(output, [
      '✓ one JWT-SVID key (use "jwt-svid")',
      '✓ beside the X.509 authority (use "x509-svid"), which signs no JWT',
      '"kind":"spiffe"',
      '← 201 Created',
      '✓ no client_secret was issued',
      '✓ the JWT-SVID names the workload’s SPIFFE ID',
      '✓ client_assertion_type is jwt-spiffe',
      '✓ Tessera found the client that accepts the SPIFFE ID: task-service',
      '✓ the Calendar Service answered 200 OK',
      '✓ one JWT-SVID fetched for two token requests',
      'a JWT-SVID from a trust domain Tessera does not trust',
      '✓ 401 invalid_client, the same body',
      '✓ one refused as untrusted_issuer',
      '✓ one refused as lifetime_too_long',
      'stopped SPIRE bundle endpoint (stand-in)',
    ]);
    assert.equal(output.match(/✓ 401 invalid_client, the same body/g)?.length, 4);
  });

  test('a failed expectation exits 1 and still stops everything', { timeout: TIMEOUT_MS }, async () => {
    const { code, output } = await runScript('shared/fixtures/failing-example.ts');
    assert.equal(code, 1, output);
    assertInOrder(output, ['✓ Tessera runs', '✗ this check fails on purpose', 'Cleaning up', 'FAIL at step 2']);
    assertStopped(output);
  });

  test('Ctrl-C stops everything the example started', { timeout: TIMEOUT_MS }, async () => {
    let sent = false;
    const { code, output } = await runScript('task-calendar-file/main.ts', (out, kill) => {
      if (!sent && out.includes('Start the File Service')) {
        sent = true;
        kill('SIGINT');
      }
    });
    assert.ok(sent, output);
    assert.equal(code, 130, output);
    assert.match(output, /Received SIGINT: stopping everything this example started/);
    assertStopped(output);
  });
});

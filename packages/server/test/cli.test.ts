import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, startTessera, type TesseraProcess } from '../../../e2e/support/tessera-process.js';

/**
 * The `tessera` CLI as users run it: the built dist/cli/main.js in its own
 * process, against a real server process, asserting on exit codes, stdout
 * and stderr.
 */

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with a clean environment (nothing leaks in from the machine running the tests). */
function cli(args: string[], env: Record<string, string> = {}, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: child.exitCode, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });
}

describe('tessera CLI', () => {
  let server: TesseraProcess;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  const outputs: string[] = [];
  /** Every run is kept, to check afterwards that the admin key never appeared. */
  const run = async (args: string[], extra: Record<string, string> = {}, input?: string) => {
    const r = await cli(args, { ...env, ...extra }, input);
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  before(async () => {
    // A missing build fails this test; it never skips it.
    assert.ok(existsSync(CLI), `${CLI} is missing: run \`npm run build\``);
    server = await startTessera();
    env = { TESSERA_URL: server.url, TESSERA_ADMIN_KEY: server.adminKey };
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('documents its commands and exit codes in --help', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    for (const word of ['serve', 'clients', 'keys', 'audit', 'token', 'Exit codes:', '2  cannot connect']) {
      assert.ok(r.stdout.includes(word), word);
    }
    const create = await run(['clients', 'create', '--help']);
    for (const option of ['--name', '--scope', '--audience', '--auth-method', '--ttl', '--format', '--claims']) {
      assert.ok(create.stdout.includes(option), option);
    }
    for (const option of ['--jwks', '--jwks-uri', '--client-id', '--json-body', '--url', '--admin-key', '--json']) {
      assert.ok(create.stdout.includes(option), option);
    }
  });

  it('create → token → rotate-secret (old secret stops at once) → delete', async () => {
    const created = await run([
      'clients',
      'create',
      '--json',
      '--name',
      'Task Service',
      '--scope',
      'event.view event.create',
      '--audience',
      'event',
      '--audience',
      'file',
      '--claims',
      '{"stt":1}',
      '--ttl',
      '600',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const c = JSON.parse(created.stdout);
    assert.equal(c.client_name, 'Task Service');
    assert.deepEqual(c.audience, ['event', 'file']);
    assert.equal(c.access_token_ttl, 600);
    assert.deepEqual(c.claims, { stt: 1 });
    assert.match(c.client_secret, /^tessera_cs_/);
    assert.match(created.stderr, /shown this once/);

    const creds = { TESSERA_CLIENT_ID: c.client_id, TESSERA_CLIENT_SECRET: c.client_secret };
    const token = await run(['token', '--json', '--scope', 'event.create', '--audience', 'event'], creds);
    assert.equal(token.code, 0, token.stderr);
    const t = JSON.parse(token.stdout);
    assert.equal(t.token_endpoint, `${server.url}/oauth2/token`);
    assert.equal(t.response.token_type, 'Bearer');
    assert.equal(t.response.scope, 'event.create');
    assert.equal(t.header.typ, 'at+jwt');
    assert.equal(t.claims.client_id, c.client_id);
    assert.equal(t.claims.aud, 'event');
    assert.equal(t.claims.stt, 1);
    assert.equal(t.claims.exp - t.claims.iat, 600);

    // The human form shows the decoded header and claims too.
    const human = await run(['token', '--scope', 'event.view'], creds);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^token_endpoint +http:/m);
    assert.match(human.stdout, /JWT header \(decoded, not verified\):\n\{\n {2}"alg"/);
    assert.match(human.stdout, /"scope": "event.view"/);

    const rotated = await run(['clients', 'rotate-secret', c.client_id, '--previous-secret-ttl', '0', '--json']);
    assert.equal(rotated.code, 0, rotated.stderr);
    const newSecret = JSON.parse(rotated.stdout).client_secret;
    assert.match(newSecret, /^tessera_cs_/);
    assert.notEqual(newSecret, c.client_secret);
    assert.match(rotated.stderr, /shown this once/);

    const old = await run(['token'], creds);
    assert.equal(old.code, 1);
    assert.equal(old.stdout, '');
    assert.equal(old.stderr, 'tessera: invalid_client: client authentication failed (HTTP 401)\n');
    const fresh = await run(['token', '--json'], { ...creds, TESSERA_CLIENT_SECRET: newSecret });
    assert.equal(fresh.code, 0, fresh.stderr);

    const deleted = await run(['clients', 'delete', c.client_id]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, `deleted ${c.client_id}\n`);
    const gone = await run(['clients', 'get', c.client_id]);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, 'tessera: not_found: no such client (HTTP 404)\n');
  });

  it('manages a client whose id has a space (RFC 6749 VSCHAR) and gets its token', async () => {
    const id = 'my cli service';
    const created = await run(['clients', 'create', '--json', '--client-id', id, '--scope', 'a']);
    assert.equal(created.code, 0, created.stderr);
    const c = JSON.parse(created.stdout);
    assert.equal(c.client_id, id);
    const got = await run(['clients', 'get', '--json', id]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(JSON.parse(got.stdout).client_id, id);
    const updated = await run(['clients', 'update', '--json', id, '--scope', 'a b']);
    assert.equal(updated.code, 0, updated.stderr);
    assert.equal(JSON.parse(updated.stdout).scope, 'a b');
    for (const method of ['basic', 'post']) {
      const token = await run(['token', '--json', '--auth-method', method], {
        TESSERA_CLIENT_ID: id,
        TESSERA_CLIENT_SECRET: c.client_secret,
      });
      assert.equal(token.code, 0, `${method}: ${token.stderr}`);
      assert.equal(JSON.parse(token.stdout).claims.client_id, id);
    }
    const deleted = await run(['clients', 'delete', id]);
    assert.equal(deleted.code, 0, deleted.stderr);
  });

  it('prints readable tables; get never shows a secret', async () => {
    const created = JSON.parse(
      (await run(['clients', 'create', '--json', '--client-id', 'calendar-cli', '--scope', 'event.view'])).stdout,
    );
    const list = await run(['clients', 'list']);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^CLIENT_ID +NAME +AUTH METHOD +FORMAT +SCOPES +AUDIENCES$/);
    const row = lines.find((l) => l.startsWith('calendar-cli '));
    assert.ok(row, list.stdout);
    assert.match(row, /^calendar-cli +- +client_secret_basic +jwt +event\.view +-$/);
    // Columns line up: each header starts where its cells start.
    assert.equal(lines[0]?.indexOf('AUTH METHOD'), row.indexOf('client_secret_basic'));

    const got = await run(['clients', 'get', 'calendar-cli']);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /^client_id +calendar-cli$/m);
    assert.ok(!got.stdout.includes('client_secret '), 'no secret line');
    assert.ok(!got.stdout.includes(created.client_secret));
    assert.equal(got.stderr, '');
  });

  it('update sends a PATCH with the options, and --json-body from stdin', async () => {
    await run(['clients', 'create', '--client-id', 'files-cli', '--json']);
    const updated = await run([
      'clients',
      'update',
      'files-cli',
      '--json',
      '--name',
      'File Service',
      '--audience',
      'file',
      '--format',
      'opaque',
    ]);
    assert.equal(updated.code, 0, updated.stderr);
    const u = JSON.parse(updated.stdout);
    assert.equal(u.client_name, 'File Service');
    assert.deepEqual(u.audience, ['file']);
    assert.equal(u.access_token_format, 'opaque');
    assert.equal(u.client_secret, undefined);

    const body = await run(
      ['clients', 'update', 'files-cli', '--json-body', '-', '--json', '--ttl', '120'],
      {},
      '{"scope": "file.view", "access_token_ttl": 60}',
    );
    assert.equal(body.code, 0, body.stderr);
    const b = JSON.parse(body.stdout);
    assert.equal(b.scope, 'file.view');
    assert.equal(b.access_token_ttl, 120, 'an option wins over --json-body');

    const file = join(dir, 'client.json');
    writeFileSync(
      file,
      JSON.stringify({ client_id: 'import-cli', client_secret: 'a-migrated-secret-of-32-chars-or-more' }),
    );
    const imported = await run(['clients', 'create', '--json-body', file, '--json']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(JSON.parse(imported.stdout).client_secret, 'a-migrated-secret-of-32-chars-or-more');
  });

  it('list follows next_cursor; --limit stops and gives the cursor', async () => {
    for (const id of ['page-a', 'page-b', 'page-c']) await run(['clients', 'create', '--client-id', id, '--json']);
    const all = JSON.parse((await run(['clients', 'list', '--json'])).stdout);
    const ids = all.items.map((x: { client_id: string }) => x.client_id);
    for (const id of ['page-a', 'page-b', 'page-c']) assert.ok(ids.includes(id), id);
    assert.equal(all.next_cursor, null);

    const two = JSON.parse((await run(['clients', 'list', '--json', '--limit', '2'])).stdout);
    assert.equal(two.items.length, 2);
    assert.ok(two.next_cursor);
    const rest = JSON.parse((await run(['clients', 'list', '--json', '--cursor', two.next_cursor])).stdout);
    assert.deepEqual([...two.items, ...rest.items], all.items);
  });

  it('keys rotate and keys list', async () => {
    const rotated = await run(['keys', 'rotate', '--json']);
    assert.equal(rotated.code, 0, rotated.stderr);
    const jwk = JSON.parse(rotated.stdout);
    assert.equal(jwk.use, 'sig');
    assert.equal(jwk.d, undefined);
    const list = await run(['keys', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^KID +ALG +KTY +STATUS +ACTIVE FROM +RETIRES$/m);
    assert.match(list.stdout, new RegExp(`^${jwk.kid} +RS256 +RSA +signing `, 'm'));
    assert.match(list.stdout, / retiring /);
    const json = JSON.parse((await run(['keys', 'list', '--json'])).stdout);
    assert.equal(json.items.find((k: { status: string }) => k.status === 'signing').kid, jwk.kid);
  });

  it('audit shows the newest changes first, pages with --limit and --cursor, and never a secret', async () => {
    const created = JSON.parse((await run(['clients', 'create', '--client-id', 'audited-by-cli', '--json'])).stdout);
    await run(['clients', 'update', 'audited-by-cli', '--scope', 'a b', '--json']);
    const table = await run(['audit', '--limit', '2']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^AT +ACTION +TARGET +ACTOR +ADDRESS$/m);
    const rows = table.stdout.trimEnd().split('\n').slice(1);
    assert.match(
      rows[0] ?? '',
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +client\.update +audited-by-cli +admin-key:[0-9a-f]{12} +\S+$/,
    );
    assert.match(rows[1] ?? '', / client\.create +audited-by-cli /);
    assert.match(table.stderr, /older entries follow: --cursor \S+/);

    const first = JSON.parse((await run(['audit', '--json', '--limit', '1'])).stdout);
    const next = JSON.parse((await run(['audit', '--json', '--limit', '1', '--cursor', first.next_cursor])).stdout);
    assert.equal(first.items[0].action, 'client.update');
    assert.equal(next.items[0].action, 'client.create');
    const all = await run(['audit', '--all', '--json']);
    assert.equal(JSON.parse(all.stdout).next_cursor, null);
    assert.ok(!all.stdout.includes(created.client_secret));
  });

  it('exit 1 with the server error on one line: wrong admin key, bad metadata, usage', async () => {
    const wrong = await run(['clients', 'list'], { TESSERA_ADMIN_KEY: 'not-the-admin-key-at-all' });
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stdout, '');
    assert.equal(wrong.stderr, 'tessera: invalid_token: a valid admin key is required (HTTP 401)\n');
    assert.ok(!wrong.stderr.includes('not-the-admin-key-at-all'));

    const bad = await run(['clients', 'create', '--claims', '{"iss":"me"}']);
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stderr,
      'tessera: invalid_client_metadata: claims: registered claims cannot be set: iss (HTTP 400)\n',
    );
    const notJson = await run(['clients', 'create', '--claims', '{oops']);
    assert.equal(notJson.code, 1);
    assert.equal(notJson.stderr, 'tessera: --claims: not valid JSON\n');
    const noKey = await run(['keys', 'list'], { TESSERA_ADMIN_KEY: '' });
    assert.equal(noKey.code, 1);
    assert.equal(noKey.stderr, 'tessera: no admin key: set TESSERA_ADMIN_KEY or pipe it to --admin-key-stdin\n');
    const unknown = await run(['clients', 'frobnicate']);
    assert.equal(unknown.code, 1);
  });

  it('takes the client secret and the admin key from stdin (--*-stdin), documented in --help', async () => {
    const tokenHelp = await run(['token', '--help']);
    assert.match(tokenHelp.stdout, /--client-secret-stdin +read the secret from stdin/);
    assert.match(tokenHelp.stdout, /env TESSERA_CLIENT_SECRET/);
    const listHelp = await run(['clients', 'list', '--help']);
    assert.match(listHelp.stdout, /--admin-key-stdin +read the admin API key from stdin/);
    const help = await run(['--help']);
    assert.match(help.stdout, /--client-secret-stdin/);
    assert.match(help.stdout, /--admin-key-stdin/);

    // The admin key from stdin only (no variable), with the newline `echo` adds.
    const noEnv = { TESSERA_URL: server.url };
    const created = await run(
      ['clients', 'create', '--json', '--admin-key-stdin', '--scope', 'event.create', '--audience', 'event'],
      noEnv,
      `${server.adminKey}\n`,
    );
    assert.equal(created.code, 0, created.stderr);
    const c = JSON.parse(created.stdout);
    const listed = await run(['keys', 'list', '--json', '--admin-key-stdin'], noEnv, server.adminKey);
    assert.equal(listed.code, 0, listed.stderr);

    // The client secret from stdin; no argument and no variable carries it.
    const token = await run(
      ['token', '--json', '--client-id', c.client_id, '--client-secret-stdin', '--audience', 'event'],
      noEnv,
      `${c.client_secret}\n`,
    );
    assert.equal(token.code, 0, token.stderr);
    assert.equal(JSON.parse(token.stdout).response.scope, 'event.create');
    // The variable works as before.
    const fromEnv = await run(['token', '--json'], {
      ...noEnv,
      TESSERA_CLIENT_ID: c.client_id,
      TESSERA_CLIENT_SECRET: c.client_secret,
    });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    // A wrong secret on stdin is refused like any other.
    const wrong = await run(['token', '--client-id', c.client_id, '--client-secret-stdin'], noEnv, 'nope\n');
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr, 'tessera: invalid_client: client authentication failed (HTTP 401)\n');

    // Usage errors: empty stdin, two lines, both forms, two readers of stdin.
    const empty = await run(['token', '--client-id', c.client_id, '--client-secret-stdin'], noEnv, '');
    assert.equal(empty.code, 1);
    assert.equal(empty.stderr, 'tessera: --client-secret-stdin: stdin is empty\n');
    const twoLines = await run(['token', '--client-id', c.client_id, '--client-secret-stdin'], noEnv, 'a\nb\n');
    assert.equal(twoLines.stderr, 'tessera: --client-secret-stdin: stdin must hold one line\n');
    const both = await run(['token', '--client-id', 'x', '--client-secret', 'y', '--client-secret-stdin'], noEnv);
    assert.equal(both.stderr, 'tessera: --client-secret and --client-secret-stdin: give one\n');
    const twoReaders = await run(['clients', 'create', '--json-body', '-', '--admin-key-stdin'], noEnv, '{}');
    assert.equal(twoReaders.code, 1);
    assert.equal(twoReaders.stderr, 'tessera: --admin-key-stdin: stdin is already read by another option\n');

    const deleted = await run(['clients', 'delete', c.client_id]);
    assert.equal(deleted.code, 0, deleted.stderr);
  });

  it('sets RFC 8705 metadata with --tls-subject-dn, --tls-san-* and --cert-bound', async () => {
    const created = await run([
      'clients',
      'create',
      '--json',
      '--client-id',
      'mtls-cli',
      '--auth-method',
      'tls_client_auth',
      '--tls-subject-dn',
      'CN=mtls-cli,O=Example',
      '--cert-bound',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const c = JSON.parse(created.stdout);
    assert.equal(c.client_secret, undefined, 'a certificate client has no secret');
    assert.equal(c.tls_client_auth_subject_dn, 'CN=mtls-cli,O=Example');
    assert.equal(c.tls_client_certificate_bound_access_tokens, true);
    for (const [option, field, value] of [
      ['--tls-san-dns', 'tls_client_auth_san_dns', 'mtls-cli.example.com'],
      ['--tls-san-uri', 'tls_client_auth_san_uri', 'spiffe://example.org/mtls-cli'],
      ['--tls-san-ip', 'tls_client_auth_san_ip', '10.0.0.7'],
      ['--tls-san-email', 'tls_client_auth_san_email', 'mtls-cli@example.com'],
    ] as const) {
      const updated = await run(['clients', 'update', '--json', 'mtls-cli', option, value, '--no-cert-bound']);
      assert.equal(updated.code, 0, updated.stderr);
      const u = JSON.parse(updated.stdout);
      assert.equal(u[field], value, option);
      assert.equal(u.tls_client_auth_subject_dn, undefined, 'one name replaces the other');
      assert.equal(u.tls_client_certificate_bound_access_tokens, false);
    }
    const shown = await run(['clients', 'get', 'mtls-cli']);
    assert.match(shown.stdout, /^tls_client_auth_san_email +mtls-cli@example\.com$/m);
    const bad = await run(['clients', 'update', 'mtls-cli', '--tls-san-ip', 'nowhere']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /tls_client_auth_san_ip: must be an IPv4 or IPv6 address/);
  });

  it('manages trusted issuers, and federated_jwt clients with --federated-identity', async () => {
    const created = await run([
      'trusted-issuers',
      'create',
      '--json',
      '--issuer',
      'https://kubernetes.cli.example',
      '--audience',
      'tessera',
      '--max-token-lifetime',
      '600',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const t = JSON.parse(created.stdout);
    assert.equal(t.kind, 'oidc');
    assert.equal(t.audience, 'tessera');
    assert.equal(t.max_token_lifetime, 600);
    const list = await run(['trusted-issuers', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ID +ISSUER +KIND +AUDIENCE +MAX LIFETIME$/m);
    assert.match(list.stdout, new RegExp(`^${t.id} +https://kubernetes\\.cli\\.example +oidc +tessera +600 s$`, 'm'));
    const updated = await run([
      'trusted-issuers',
      'update',
      t.id,
      '--unset',
      'audience',
      '--jwks-uri',
      'https://kubernetes.cli.example/openid/v1/jwks',
    ]);
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stdout, /^keys +https:\/\/kubernetes\.cli\.example\/openid\/v1\/jwks$/m);
    assert.match(updated.stdout, new RegExp(`^audience +${server.url.replace(/[.]/g, '\\.')}$`, 'm'));
    const bad = await run(['trusted-issuers', 'create', '--issuer', 'http://plain.example']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid_client_metadata: issuer: must be an https URL/);

    const client = await run([
      'clients',
      'create',
      '--json',
      '--auth-method',
      'federated_jwt',
      '--federated-identity',
      'https://kubernetes.cli.example system:serviceaccount:payments:pdf-caller',
    ]);
    assert.equal(client.code, 0, client.stderr);
    const c = JSON.parse(client.stdout);
    assert.equal(c.client_secret, undefined, 'a federated client has no secret');
    assert.deepEqual(c.federated_identities, [
      { issuer: 'https://kubernetes.cli.example', subject: 'system:serviceaccount:payments:pdf-caller' },
    ]);
    const shown = await run(['clients', 'get', c.client_id]);
    assert.match(
      shown.stdout,
      /^federated identity +https:\/\/kubernetes\.cli\.example system:serviceaccount:payments:pdf-caller$/m,
    );
    const usage = await run(['clients', 'update', c.client_id, '--federated-identity', 'no-subject']);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /--federated-identity/);

    const deleted = await run(['trusted-issuers', 'delete', t.id]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, `deleted ${t.id}\n`);
    assert.equal((await run(['trusted-issuers', 'get', t.id])).code, 1);
  });

  it('sets token exchange policy with --grant-type, --exchange-subject-client and --exchange-max-depth', async () => {
    const exchange = 'urn:ietf:params:oauth:grant-type:token-exchange';
    const created = await run([
      'clients',
      'create',
      '--json',
      '--client-id',
      'exchange-cli',
      '--grant-type',
      'client_credentials',
      '--grant-type',
      exchange,
      '--exchange-subject-client',
      'task',
      '--exchange-subject-client',
      'task two',
      '--exchange-max-depth',
      '2',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const c = JSON.parse(created.stdout);
    assert.deepEqual(c.grant_types, ['client_credentials', exchange]);
    assert.deepEqual(c.token_exchange_subject_clients, ['task', 'task two']);
    assert.equal(c.token_exchange_max_depth, 2);
    const shown = await run(['clients', 'get', 'exchange-cli']);
    assert.match(shown.stdout, /^exchanges tokens of +task, task two$/m);
    assert.match(shown.stdout, /^exchange max depth +2$/m);
    const updated = await run(['clients', 'update', '--json', 'exchange-cli', '--grant-type', 'client_credentials']);
    assert.deepEqual(JSON.parse(updated.stdout).grant_types, ['client_credentials']);
    const badGrant = await run(['clients', 'update', 'exchange-cli', '--grant-type', 'password']);
    assert.equal(badGrant.code, 1);
    assert.match(
      badGrant.stderr,
      /--grant-type <type>' argument 'password' is invalid\. must be one of client_credentials, /,
    );
    const badDepth = await run(['clients', 'update', 'exchange-cli', '--exchange-max-depth', '11']);
    assert.equal(badDepth.code, 1);
    assert.match(badDepth.stderr, /must be an integer from 1 to 10/);
  });

  it('exit 2 when the server cannot be reached', async () => {
    const port = await freePort();
    const r = await run(['clients', 'list'], { TESSERA_URL: `http://127.0.0.1:${port}` });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `tessera: cannot reach http://127.0.0.1:${port}: is the server running? (ECONNREFUSED)\n`);
    const token = await run(['token', '--url', `http://127.0.0.1:${port}`, '--client-id', 'x', '--client-secret', 'y']);
    assert.equal(token.code, 2);
  });

  it('never prints the admin key', () => {
    assert.ok(outputs.length > 0);
    for (const text of outputs) assert.ok(!text.includes(server.adminKey));
  });
});

describe('tessera serve', () => {
  it('starts the server as npm start does, and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-serve-'));
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: {
        PATH: process.env.PATH,
        TESSERA_PORT: String(port),
        TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
        TESSERA_LOG_LEVEL: 'warn',
        TESSERA_SHUTDOWN_DRAIN_MS: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const ok = await fetch(`http://localhost:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        assert.ok(Date.now() < deadline, `did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // First start without TESSERA_ADMIN_KEY: the generated key is printed once, as with npm start.
      assert.match(out, /Tessera admin key \(shown once/);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a bad setting stops it with one line naming the variable', async () => {
    const r = await cli(['serve'], { TESSERA_PORT: 'eighty', TESSERA_DATABASE_URL: 'sqlite::memory:' });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'tessera: configuration error: TESSERA_PORT must be a port number (got "eighty")\n');
  });
});

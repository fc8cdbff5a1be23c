import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import Database from 'better-sqlite3';
import type { LightMyRequestResponse } from 'fastify';
import {
  type HttpMethod,
  type JsonSchema,
  type OpenApiOperation,
  type OpenApiRef,
  type OpenApiResponse,
  openapi,
} from '../src/admin/openapi.js';
import { basic, type Harness, startHarness } from './harness.js';

/**
 * The OpenAPI document is kept true by driving every admin call through the
 * real HTTP interface and validating each answer (status, then body) against
 * the document's schema for that operation and status, with a real JSON
 * Schema 2020-12 validator (ajv, as fastify loads it). Both directions are
 * checked: every answer the server gave is documented, and every documented
 * answer was seen.
 */

// ajv and ajv-formats are CommonJS with `exports.default`; fastify reaches them the same way.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

const SCHEMAS_ID = 'urn:tessera:openapi:schemas';

/** `#/components/schemas/X` → a schema ajv can resolve on its own. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')
        ? `${SCHEMAS_ID}#/$defs/${v.slice('#/components/schemas/'.length)}`
        : rewriteRefs(v);
  }
  return out;
}

function makeAjv() {
  // Strict: an unknown keyword or format in the document is an error, not a silent pass.
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: SCHEMAS_ID, $defs: rewriteRefs(openapi.components.schemas) as Record<string, JsonSchema> });
  return ajv;
}

const ajv = makeAjv();

function isRef(x: unknown): x is OpenApiRef {
  return typeof x === 'object' && x !== null && '$ref' in x;
}

function resolveResponse(r: OpenApiResponse | OpenApiRef): OpenApiResponse {
  if (!isRef(r)) return r;
  const name = r.$ref.replace('#/components/responses/', '');
  const found = openapi.components.responses[name];
  assert.ok(found, `unresolved ${r.$ref}`);
  return found;
}

function operation(method: HttpMethod, path: string): OpenApiOperation {
  const op = openapi.paths[path]?.[method];
  assert.ok(op, `${method.toUpperCase()} ${path} is not in the document`);
  return op;
}

const seen = new Set<string>();

/** Asserts `r` is a documented answer of the operation, body and headers included. */
function check(method: HttpMethod, path: string, r: LightMyRequestResponse): void {
  const op = operation(method, path);
  const documented = op.responses[String(r.statusCode)];
  assert.ok(documented, `${method.toUpperCase()} ${path} answered ${r.statusCode}, undocumented: ${r.body}`);
  seen.add(`${method} ${path} ${r.statusCode}`);
  const response = resolveResponse(documented);
  const schema = response.content?.['application/json']?.schema;
  if (!schema) {
    assert.equal(r.body, '', `${method} ${path} ${r.statusCode} documents no body`);
    return;
  }
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const validate = ajv.compile(rewriteRefs(schema) as JsonSchema);
  const body: unknown = r.json();
  assert.ok(
    validate(body),
    `${method.toUpperCase()} ${path} ${r.statusCode}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
  );
  for (const name of Object.keys(response.headers ?? {})) {
    assert.ok(r.headers[name.toLowerCase()], `${method} ${path} ${r.statusCode}: header ${name} is documented`);
  }
}

/** A request body we expect to be accepted must be valid by the document too. */
function checkRequest(method: HttpMethod, path: string, body: unknown): void {
  const schema = operation(method, path).requestBody?.content['application/json']?.schema;
  assert.ok(schema, `${method} ${path} documents a JSON request body`);
  const validate = ajv.compile(rewriteRefs(schema) as JsonSchema);
  assert.ok(validate(body), `request body of ${method} ${path}: ${ajv.errorsText(validate.errors)}`);
}

/** `printRoutes` draws a tree; this flattens it to "METHOD /path" pairs. */
function registeredRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│├└─ ]*)(\S[^(]*?)(?: \(([^)]+)\))?$/.exec(line);
    if (!m?.[2]) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(m[2]);
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) out.push(`${method} ${stack.join('')}`);
  }
  return out;
}

describe('OpenAPI document of the admin API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-openapi-'));
  const dbPath = join(dir, 'tessera.db');
  let h: Harness;
  before(async () => {
    // A database file, so a real lock can make the store unavailable (503).
    h = await startHarness(
      {},
      { TESSERA_DATABASE_URL: `sqlite:${dbPath}`, TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url') },
    );
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is served at GET /openapi.json, without the admin key, as the exported document', async () => {
    const r = await h.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.deepEqual(r.json(), JSON.parse(JSON.stringify(openapi)));
    assert.equal(r.json().openapi, '3.1.0');
  });

  it('lists exactly the admin routes the server has', async () => {
    await h.tessera.app.ready();
    const served = registeredRoutes(h.tessera.app.printRoutes({ commonPrefix: false }))
      // /admin/session is the console's sign-in (a browser's cookie, docs/console.md), not an API for programs.
      .filter((r) => r.includes(' /admin') && !r.startsWith('HEAD ') && !r.includes(' /admin/session'))
      .map((r) => r.replace(/:(\w+)/g, '{$1}'))
      .sort();
    const documented = Object.entries(openapi.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    assert.deepEqual(documented, served);
  });

  it('compiles every schema strictly (2020-12), and every $ref resolves', () => {
    for (const [name, schema] of Object.entries(openapi.components.schemas)) {
      assert.doesNotThrow(() => ajv.compile(rewriteRefs(schema) as JsonSchema), name);
    }
    const refs = JSON.stringify(openapi).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const [, kind, name] = /#\/components\/(\w+)\/(\w+)/.exec(ref) ?? [];
      const group = (openapi.components as unknown as Record<string, Record<string, unknown>>)[kind ?? ''];
      assert.ok(group?.[name ?? ''], `unresolved ${ref}`);
    }
  });

  it('matches every real answer of every admin call', async () => {
    const clients = '/admin/clients';
    const one = '/admin/clients/{id}';
    const secrets = '/admin/clients/{id}/secrets';

    // Register: with a secret, without one (private_key_jwt), refused, taken id.
    const created = { client_id: 'openapi-cal', client_name: 'Calendar', scope: 'event.view', audience: ['event'] };
    checkRequest('post', clients, created);
    const c = await h.admin('POST', clients, created);
    check('post', clients, c);
    assert.equal(c.statusCode, 201);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pkjwt = {
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [publicKey.export({ format: 'jwk' })] },
      claims: { tenant: 'acme' },
      access_token_format: 'opaque',
      access_token_ttl: 600,
    };
    checkRequest('post', clients, pkjwt);
    const k = await h.admin('POST', clients, pkjwt);
    check('post', clients, k);
    assert.equal(k.statusCode, 201);
    assert.equal(k.json().client_secret, undefined);
    // Importing an existing secret (migration).
    const imported = { client_secret: 'an-imported-secret-of-at-least-32-chars' };
    checkRequest('post', clients, imported);
    check('post', clients, await h.admin('POST', clients, imported));
    check('post', clients, await h.admin('POST', clients, { claims: { iss: 'x' } }));
    check('post', clients, await h.admin('POST', clients, created));
    check('post', clients, await h.admin('POST', clients, { client_name: 'x'.repeat(70_000) }));

    // List: pages, and a bad limit.
    const page = await h.admin('GET', `${clients}?limit=2`);
    check('get', clients, page);
    assert.ok(page.json().next_cursor);
    check('get', clients, await h.admin('GET', `${clients}?limit=2&cursor=${page.json().next_cursor}`));
    check('get', clients, await h.admin('GET', `${clients}?limit=0`));

    // Read, change, rotate, delete; each also on an unknown id.
    const id = c.json().client_id as string;
    check('get', one, await h.admin('GET', `${clients}/${id}`));
    check('get', one, await h.admin('GET', `${clients}/${k.json().client_id}`));
    check('get', one, await h.admin('GET', `${clients}/nope`));
    const patch = { scope: 'event.view event.create', access_token_ttl: 900 };
    checkRequest('patch', one, patch);
    check('patch', one, await h.admin('PATCH', `${clients}/${id}`, patch));
    // Leaving private_key_jwt needs a secret: the answer carries a new one.
    const leave = { token_endpoint_auth_method: 'client_secret_post' };
    checkRequest('patch', one, leave);
    const left = await h.admin('PATCH', `${clients}/${k.json().client_id}`, leave);
    check('patch', one, left);
    assert.ok(left.json().client_secret);
    check('patch', one, await h.admin('PATCH', `${clients}/${id}`, { access_token_format: 'paper' }));
    check('patch', one, await h.admin('PATCH', `${clients}/nope`, patch));
    check('patch', one, await h.admin('PATCH', `${clients}/${id}`, { client_name: 'x'.repeat(70_000) }));

    checkRequest('post', secrets, { previous_secret_ttl: 60 });
    check('post', secrets, await h.admin('POST', `${clients}/${id}/secrets`, { previous_secret_ttl: 60 }));
    check('post', secrets, await h.admin('POST', `${clients}/${id}/secrets`));
    check('post', secrets, await h.admin('POST', `${clients}/${id}/secrets`, { previous_secret_ttl: -1 }));
    check('post', secrets, await h.admin('POST', `${clients}/nope/secrets`, {}));
    check('post', secrets, await h.admin('POST', `${clients}/${id}/secrets`, { x: 'y'.repeat(70_000) }));

    check('delete', one, await h.admin('DELETE', `${clients}/${id}`));
    check('delete', one, await h.admin('DELETE', `${clients}/${id}`));

    // Trusted issuers: create, refused, taken, too large; list and page; read, change, delete.
    const issuers = '/admin/trusted-issuers';
    const issuerOne = '/admin/trusted-issuers/{id}';
    const k8s = {
      issuer: 'https://kubernetes.default.svc.cluster.local',
      audience: 'tessera',
      max_token_lifetime: 600,
    };
    checkRequest('post', issuers, k8s);
    const ti = await h.admin('POST', issuers, k8s);
    check('post', issuers, ti);
    assert.equal(ti.statusCode, 201);
    const spiffe = {
      issuer: 'https://spire.example',
      kind: 'spiffe',
      trust_domain: 'example.org',
      jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), use: 'jwt-svid' }] },
    };
    checkRequest('post', issuers, spiffe);
    check('post', issuers, await h.admin('POST', issuers, spiffe));
    check('post', issuers, await h.admin('POST', issuers, { issuer: 'http://example.com' }));
    check('post', issuers, await h.admin('POST', issuers, k8s));
    check(
      'post',
      issuers,
      await h.admin('POST', issuers, { issuer: 'https://x.example', description: 'x'.repeat(70_000) }),
    );
    const issuerPage = await h.admin('GET', `${issuers}?limit=1`);
    check('get', issuers, issuerPage);
    assert.ok(issuerPage.json().next_cursor);
    check('get', issuers, await h.admin('GET', `${issuers}?limit=1&cursor=${issuerPage.json().next_cursor}`));
    check('get', issuers, await h.admin('GET', `${issuers}?limit=0`));
    const tiId = ti.json().id as string;
    check('get', issuerOne, await h.admin('GET', `${issuers}/${tiId}`));
    check('get', issuerOne, await h.admin('GET', `${issuers}/nope`));
    const issuerPatch = { jwks_uri: 'https://kubernetes.example/openid/v1/jwks', audience: null };
    checkRequest('patch', issuerOne, issuerPatch);
    check('patch', issuerOne, await h.admin('PATCH', `${issuers}/${tiId}`, issuerPatch));
    check('patch', issuerOne, await h.admin('PATCH', `${issuers}/${tiId}`, { max_token_lifetime: 0 }));
    check('patch', issuerOne, await h.admin('PATCH', `${issuers}/${tiId}`, { issuer: spiffe.issuer }));
    check('patch', issuerOne, await h.admin('PATCH', `${issuers}/nope`, issuerPatch));
    check('patch', issuerOne, await h.admin('PATCH', `${issuers}/${tiId}`, { description: 'x'.repeat(70_000) }));
    check('delete', issuerOne, await h.admin('DELETE', `${issuers}/${tiId}`));
    check('delete', issuerOne, await h.admin('DELETE', `${issuers}/${tiId}`));

    // Keys.
    check('post', '/admin/keys/rotate', await h.admin('POST', '/admin/keys/rotate'));
    const keys = await h.admin('GET', '/admin/keys');
    check('get', '/admin/keys', keys);
    assert.deepEqual(
      keys
        .json()
        .items.map((x: { status: string }) => x.status)
        .sort(),
      ['retiring', 'signing'],
    );

    // The audit log (every change above is in it) and the activity counts.
    const audit = await h.admin('GET', '/admin/audit?limit=2');
    check('get', '/admin/audit', audit);
    assert.ok(audit.json().next_cursor);
    check('get', '/admin/audit', await h.admin('GET', `/admin/audit?cursor=${audit.json().next_cursor}`));
    check('get', '/admin/audit', await h.admin('GET', '/admin/audit?cursor=nope'));
    // A failed authentication, so a bucket holds a count the schema must admit.
    await h.token({ grant_type: 'client_credentials' }, { authorization: basic('openapi-cal', 'wrong-secret') });
    const activity = await h.admin('GET', '/admin/activity');
    check('get', '/admin/activity', activity);
    assert.ok(activity.json().buckets.some((b: { failures: object }) => Object.keys(b.failures).length > 0));
    check('get', '/admin/activity', await h.admin('GET', '/admin/activity?range=day'));
    check('get', '/admin/activity', await h.admin('GET', '/admin/activity?range=week'));

    // Every call without the admin key, and with a wrong one.
    for (const [path, ops] of Object.entries(openapi.paths)) {
      for (const method of Object.keys(ops) as HttpMethod[]) {
        const url = path.replace('{id}', 'openapi-cal');
        for (const authorization of [undefined, 'Bearer not-the-admin-key']) {
          const r = await h.inject({
            method: method.toUpperCase() as 'GET',
            url,
            headers: authorization ? { authorization } : {},
          });
          assert.equal(r.statusCode, 401);
          check(method, path, r);
        }
      }
    }
  });

  it('matches the 429 of every call once an address is over its wrong-key budget', async () => {
    const throttled = await startHarness({}, { TESSERA_AUTH_FAILURES_PER_ADDRESS: '1' });
    try {
      for (const [path, ops] of Object.entries(openapi.paths)) {
        for (const method of Object.keys(ops) as HttpMethod[]) {
          const wrong = () =>
            throttled.inject({
              method: method.toUpperCase() as 'GET',
              url: path.replace('{id}', 'openapi-cal'),
              remoteAddress: '203.0.113.9',
              headers: { authorization: 'Bearer not-the-admin-key' },
            });
          await wrong();
          const r = await wrong();
          assert.equal(r.statusCode, 429);
          check(method, path, r);
        }
      }
    } finally {
      await throttled.close();
    }
  });

  it('matches the answer while the store is unavailable (503, real SQLite lock)', async () => {
    const intruder = new Database(dbPath);
    intruder.exec('BEGIN EXCLUSIVE');
    try {
      check('post', '/admin/clients', await h.admin('POST', '/admin/clients', { scope: 'x' }));
    } finally {
      intruder.exec('ROLLBACK');
      intruder.close();
    }
  });

  it('documents only answers the server gives', () => {
    // The same shared 503 answer is referenced by every call that reaches the
    // store; it is produced once above (each real lock costs the 5 s busy timeout).
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(openapi.paths)) {
      for (const [method, op] of Object.entries(ops) as [HttpMethod, OpenApiOperation][]) {
        for (const status of Object.keys(op.responses)) {
          if (status === '503' && !(method === 'post' && path === '/admin/clients')) continue;
          if (!seen.has(`${method} ${path} ${status}`)) missing.push(`${method.toUpperCase()} ${path} ${status}`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });
});

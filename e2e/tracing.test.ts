import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { freshPostgres, requireRedis } from './support/backing-services.js';
import { basicAuth, startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * OpenTelemetry: the real server, pointed by the standard OTEL_* variables
 * at an OTLP/HTTP receiver inside this test, sends spans for what it does:
 * in the caller's trace, with store calls as children, and never a secret.
 */

interface Post {
  contentType: string;
  body: Buffer;
}

/** An OTLP/HTTP collector: keeps every POST /v1/traces, answers 200. */
async function startReceiver(): Promise<{ server: Server; url: string; posts: Post[] }> {
  const posts: Post[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        posts.push({ contentType: String(req.headers['content-type']), body: Buffer.concat(chunks) });
      }
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts };
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
}

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean | undefined>;
  status: { code?: number };
}

/** The spans of OTLP/JSON export requests, attributes flattened to a record. */
function spansOf(posts: Post[]): { spans: Span[]; resources: Record<string, unknown>[] } {
  const spans: Span[] = [];
  const resources: Record<string, unknown>[] = [];
  type Attribute = { key: string; value: OtlpValue };
  const flat = (attributes: Attribute[]) =>
    Object.fromEntries(
      attributes.map(({ key, value }) => [
        key,
        value.stringValue ?? (value.intValue === undefined ? value.boolValue : Number(value.intValue)),
      ]),
    );
  for (const post of posts) {
    const request = JSON.parse(post.body.toString('utf8')) as {
      resourceSpans: {
        resource: { attributes: Attribute[] };
        scopeSpans: { spans: (Omit<Span, 'attributes'> & { attributes: Attribute[] })[] }[];
      }[];
    };
    for (const rs of request.resourceSpans) {
      resources.push(flat(rs.resource.attributes));
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) spans.push({ ...span, attributes: flat(span.attributes) });
      }
    }
  }
  return { spans, resources };
}

/**
 * A module resolve hook for the server process (NODE_OPTIONS=--import):
 * writes every @opentelemetry/* module the server imports to a file. All of
 * Tessera's imports of OpenTelemetry are ESM imports, so each passes here.
 */
function watchOtelImports(): { env: Record<string, string>; imported(): string[]; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-imports-'));
  const log = join(dir, 'imports.log');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@opentelemetry/')) appendFileSync(${JSON.stringify(log)}, specifier + '\\n');
  return next(specifier, context);
}\n`,
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
  );
  return {
    env: { NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'register.mjs')).href}` },
    imported: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const SERVER = 2;
const CLIENT = 3;
const TRACE_ID = randomBytes(16).toString('hex');
const CALLER_SPAN_ID = randomBytes(8).toString('hex');
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`;

async function post(t: TesseraProcess, path: string, body: string, headers: Record<string, string>) {
  const r = await fetch(t.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

describe('tracing on SQLite, OTLP/HTTP JSON', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let spans: Span[];
  let resources: Record<string, unknown>[];
  /** Everything that must never reach a span, in any attribute or event. */
  const secrets: string[] = [];
  let jwtClient: { client_id: string; client_secret?: string };
  let opaqueClient: { client_id: string; client_secret?: string };
  const imports = watchOtelImports();

  before(async () => {
    receiver = await startReceiver();
    const t = await startTessera({
      ...imports.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
    });
    try {
      secrets.push(t.adminKey);
      jwtClient = await t.createClient({ scope: 'a b' });
      opaqueClient = await t.createClient({ scope: 'a', access_token_format: 'opaque' });
      const jwtAuth = basicAuth(jwtClient.client_id, jwtClient.client_secret);
      const opaqueAuth = basicAuth(opaqueClient.client_id, opaqueClient.client_secret);
      secrets.push(jwtClient.client_secret as string, opaqueClient.client_secret as string, jwtAuth, opaqueAuth);

      const jwt = await post(t, '/oauth2/token', 'grant_type=client_credentials', {
        authorization: jwtAuth,
        traceparent: TRACEPARENT,
        tracestate: 'caller=1',
      });
      assert.equal(jwt.status, 200);
      const opaque = await post(t, '/oauth2/token', 'grant_type=client_credentials', { authorization: opaqueAuth });
      assert.equal(opaque.status, 200);
      secrets.push(jwt.body.access_token, opaque.body.access_token);
      const introspected = await post(t, '/oauth2/introspect', `token=${opaque.body.access_token}`, {
        authorization: jwtAuth,
      });
      assert.equal(introspected.body.active, true);
      assert.equal(
        (await post(t, '/oauth2/revoke', `token=${jwt.body.access_token}`, { authorization: jwtAuth })).status,
        200,
      );
      const wrong = await post(t, '/oauth2/token', 'grant_type=client_credentials', {
        authorization: basicAuth(jwtClient.client_id, 'not-the-secret'),
      });
      assert.equal(wrong.status, 401);
      assert.equal((await t.admin('GET', `/admin/clients/${jwtClient.client_id}`)).status, 200);
    } finally {
      // SIGTERM: the server flushes its last spans before it exits.
      await t.stop();
    }
    ({ spans, resources } = spansOf(receiver.posts));
  });
  after(() => {
    receiver?.server.close();
    imports.remove();
  });

  it('loads the SDK and the exporter of the protocol asked for (what the test of tracing off looks for)', () => {
    const imported = imports.imported();
    for (const module of ['@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http']) {
      assert.ok(imported.includes(module), `${module} in ${imported}`);
    }
    assert.equal(imported.includes('@opentelemetry/exporter-trace-otlp-proto'), false);
  });

  const find = (name: string, predicate: (span: Span) => boolean = () => true) => {
    const found = spans.filter((s) => s.name === name && predicate(s));
    assert.equal(found.length, 1, `one ${name} span; spans: ${spans.map((s) => s.name).join(', ')}`);
    return found[0] as Span;
  };
  const childrenOf = (parent: Span) =>
    spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);

  it('exports OTLP/JSON to the configured endpoint, as service tessera with the resource attributes given', () => {
    assert.ok(receiver.posts.length > 0);
    for (const p of receiver.posts) assert.equal(p.contentType, 'application/json');
    for (const r of resources) {
      assert.equal(r['service.name'], 'tessera');
      assert.equal(r['deployment.environment.name'], 'test');
    }
  });

  it('the token request joins the caller trace from traceparent, with client, grant, alg, format and outcome', () => {
    const span = find('POST /oauth2/token', (s) => s.traceId === TRACE_ID);
    assert.equal(span.parentSpanId, CALLER_SPAN_ID);
    assert.equal(span.kind, SERVER);
    assert.deepEqual(span.attributes, {
      'http.request.method': 'POST',
      'http.route': '/oauth2/token',
      'url.path': '/oauth2/token',
      'url.scheme': 'http',
      'client.address': span.attributes['client.address'],
      'network.protocol.version': '1.1',
      'http.response.status_code': 200,
      'oauth.client_id': jwtClient.client_id,
      'oauth.grant_type': 'client_credentials',
      'tessera.token.alg': 'RS256',
      'tessera.token.format': 'jwt',
      'tessera.outcome': 'success',
    });
    assert.match(String(span.attributes['client.address']), /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
  });

  it('an opaque token is stored in a child span of its token request; a request without traceparent starts its own trace', () => {
    const span = find('POST /oauth2/token', (s) => s.attributes['oauth.client_id'] === opaqueClient.client_id);
    assert.notEqual(span.traceId, TRACE_ID);
    assert.equal(span.parentSpanId, undefined);
    assert.equal(span.attributes['tessera.token.format'], 'opaque');
    const store = childrenOf(span).find((s) => s.name === 'sqlite insertOpaqueToken');
    assert.ok(store, `children: ${childrenOf(span).map((s) => s.name)}`);
    assert.equal(store.kind, CLIENT);
    assert.deepEqual(store.attributes, { 'db.system.name': 'sqlite', 'db.operation.name': 'insertOpaqueToken' });
  });

  it('introspection and revocation: the calling client, the answer, and their store queries as children', () => {
    const introspection = find('POST /oauth2/introspect');
    assert.equal(introspection.attributes['oauth.client_id'], jwtClient.client_id);
    assert.equal(introspection.attributes['tessera.token.active'], true);
    assert.equal(introspection.attributes['http.response.status_code'], 200);
    assert.ok(childrenOf(introspection).some((s) => s.name === 'sqlite getOpaqueToken'));
    const revocation = find('POST /oauth2/revoke');
    assert.equal(revocation.attributes['oauth.client_id'], jwtClient.client_id);
    assert.ok(childrenOf(revocation).some((s) => s.name === 'sqlite revokeJti'));
  });

  it('a refused request carries the wire error and outcome refused, and is not a failed span', () => {
    const span = find('POST /oauth2/token', (s) => s.attributes['http.response.status_code'] === 401);
    assert.equal(span.attributes['oauth.error'], 'invalid_client');
    assert.equal(span.attributes['tessera.outcome'], 'refused');
    // The client exists: its id is named; the secret was wrong, which only the log says.
    assert.equal(span.attributes['oauth.client_id'], jwtClient.client_id);
    assert.notEqual(span.status.code, 2);
  });

  it('admin requests are traced by route, with their store queries', () => {
    const creates = spans.filter((s) => s.name === 'POST /admin/clients');
    assert.equal(creates.length, 2);
    for (const create of creates) {
      assert.equal(create.attributes['http.response.status_code'], 201);
      assert.ok(childrenOf(create).some((c) => c.name === 'sqlite insertClient'));
    }
    const read = find('GET /admin/clients/:id');
    assert.equal(read.attributes['url.path'], `/admin/clients/${jwtClient.client_id}`);
  });

  it('health probes are not traced', () => {
    assert.equal(spans.filter((s) => s.name === 'GET /healthz').length, 0);
  });

  it('no secret, token, admin key or Authorization value appears anywhere in what was exported', () => {
    const everything = receiver.posts.map((p) => p.body.toString('utf8')).join('\n');
    // The search itself works: what may be exported is found.
    assert.ok(everything.includes(jwtClient.client_id));
    for (const secret of secrets) {
      assert.ok(secret.length > 10);
      assert.equal(everything.includes(secret), false, `exported: ${secret.slice(0, 12)}…`);
    }
  });
});

describe('tracing on PostgreSQL and Redis, OTLP/HTTP protobuf (the default protocol)', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let db: Awaited<ReturnType<typeof freshPostgres>>;
  const secrets: string[] = [];

  before(async () => {
    receiver = await startReceiver();
    db = await freshPostgres();
    const t = await startTessera({
      TESSERA_DATABASE_URL: db.url,
      TESSERA_REDIS_URL: await requireRedis(),
      TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      // The signal's own endpoint is used as given.
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
      OTEL_SERVICE_NAME: 'tessera-pg',
    });
    try {
      const c = await t.createClient({ scope: 'a' });
      const auth = basicAuth(c.client_id, c.client_secret);
      const token = await post(t, '/oauth2/token', 'grant_type=client_credentials', {
        authorization: auth,
        traceparent: TRACEPARENT,
      });
      assert.equal(token.status, 200);
      assert.equal(
        (await post(t, '/oauth2/revoke', `token=${token.body.access_token}`, { authorization: auth })).status,
        200,
      );
      const introspected = await post(t, '/oauth2/introspect', `token=${token.body.access_token}`, {
        authorization: auth,
      });
      assert.deepEqual(introspected.body, { active: false });
      secrets.push(t.adminKey, c.client_secret as string, auth, token.body.access_token, db.url);
    } finally {
      await t.stop();
      await db.drop();
    }
  });
  after(() => receiver?.server.close());

  it('exports protobuf with the caller trace id, PostgreSQL and Redis spans, and no secret', () => {
    assert.ok(receiver.posts.length > 0);
    for (const p of receiver.posts) assert.equal(p.contentType, 'application/x-protobuf');
    const everything = Buffer.concat(receiver.posts.map((p) => p.body));
    // Protobuf carries ids as raw bytes and strings as UTF-8.
    assert.ok(everything.includes(Buffer.from(TRACE_ID, 'hex')), 'the caller trace id');
    assert.ok(everything.includes(Buffer.from(CALLER_SPAN_ID, 'hex')), 'the caller span id as parent');
    for (const text of [
      'tessera-pg',
      'POST /oauth2/token',
      'POST /oauth2/revoke',
      'postgresql insertClient',
      'redis revokeJti',
      'redis isJtiRevoked',
    ]) {
      assert.ok(everything.includes(text), text);
    }
    for (const secret of secrets) assert.equal(everything.includes(secret), false, `exported: ${secret.slice(0, 12)}…`);
  });
});

describe('tracing off (no OTEL_* variable)', () => {
  it('imports no OpenTelemetry module at all while serving tokens, introspection and the admin API', async () => {
    const imports = watchOtelImports();
    const t = await startTessera(imports.env);
    try {
      const c = await t.createClient({ scope: 'a' });
      const auth = basicAuth(c.client_id, c.client_secret);
      const token = await post(t, '/oauth2/token', 'grant_type=client_credentials', {
        authorization: auth,
        traceparent: TRACEPARENT,
      });
      assert.equal(token.status, 200);
      assert.equal(
        (await post(t, '/oauth2/introspect', `token=${token.body.access_token}`, { authorization: auth })).status,
        200,
      );
      assert.doesNotMatch(t.output(), /tracing on/);
    } finally {
      await t.stop();
    }
    assert.deepEqual(imports.imported(), []);
    imports.remove();
  });
});

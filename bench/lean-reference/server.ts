/**
 * The lean reference: the least work a Fastify token endpoint can do for
 * the benchmarked request and still be honest — the ceiling of this stack.
 * It does what Tessera's hot path must do, and nothing else:
 *
 * - parse the form body (URLSearchParams) and the `Authorization: Basic` header;
 * - look the client up in a Map and check the secret's keyed hash
 *   (HMAC-SHA256, compared in constant time, as Tessera stores secrets);
 * - check the grant type and the requested scopes;
 * - build the same claims as Tessera (iss, sub, client_id, aud, iat, nbf,
 *   exp, jti, scope, scp) and sign them with node:crypto (RFC 9068 header);
 *   or, with BENCH_FORMAT=opaque, store a keyed hash of a random token in
 *   SQLite (better-sqlite3, WAL, synchronous=NORMAL: Tessera's settings);
 * - answer JSON with `Cache-Control: no-store` and `Pragma: no-cache`.
 *
 * No logging, no request ids, no schema: that is what "lean" means.
 * Environment: PORT, BENCH_ALG (RS256 | ES256 | EdDSA), BENCH_FORMAT
 * (jwt | opaque), BENCH_CLIENT_ID, BENCH_CLIENT_SECRET, BENCH_SQLITE (path,
 * for opaque). Prints `READY` when listening on 127.0.0.1.
 */
import { createHmac, generateKeyPairSync, randomBytes, randomUUID, sign, timingSafeEqual } from 'node:crypto';
import Database from 'better-sqlite3';
import Fastify from 'fastify';

type Alg = 'RS256' | 'ES256' | 'EdDSA';

const port = Number(process.env.PORT);
const alg = (process.env.BENCH_ALG ?? 'RS256') as Alg;
const opaque = process.env.BENCH_FORMAT === 'opaque';
const issuer = `http://127.0.0.1:${port}`;
const hmacKey = randomBytes(32);

const { privateKey } =
  alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');
const signOptions = alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : { key: privateKey };
const hash = alg === 'EdDSA' ? null : 'sha256';
const encodedHeader = Buffer.from(JSON.stringify({ alg, kid: `lean-${alg}`, typ: 'at+jwt' })).toString('base64url');

interface Client {
  secretHash: Buffer;
  scopes: string[];
  audience: string;
  ttl: number;
}

const digest = (secret: string) => createHmac('sha256', hmacKey).update(secret, 'utf8').digest();
const clients = new Map<string, Client>([
  [
    process.env.BENCH_CLIENT_ID ?? 'bench-client',
    {
      secretHash: digest(process.env.BENCH_CLIENT_SECRET ?? 'bench-secret'),
      scopes: ['a', 'b'],
      audience: 'calendar',
      ttl: 3600,
    },
  ],
]);

const db = opaque ? new Database(process.env.BENCH_SQLITE ?? ':memory:') : undefined;
if (db) {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, jti TEXT NOT NULL, scope TEXT NOT NULL, audience TEXT NOT NULL, iat INTEGER NOT NULL, exp INTEGER NOT NULL)',
  );
}
const insertToken = db?.prepare('INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?)');

function fail(status: number, error: string) {
  return { status, body: { error } };
}

function issue(params: URLSearchParams, authorization: string | undefined) {
  if (params.get('grant_type') !== 'client_credentials') return fail(400, 'unsupported_grant_type');
  if (!authorization?.startsWith('Basic ')) return fail(401, 'invalid_client');
  const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const clientId = decodeURIComponent(decoded.slice(0, colon));
  const client = clients.get(clientId);
  const actual = digest(decodeURIComponent(decoded.slice(colon + 1)));
  if (colon < 1 || !client || !timingSafeEqual(actual, client.secretHash)) return fail(401, 'invalid_client');
  const requested = params.get('scope');
  const scopes = requested ? requested.split(' ') : client.scopes;
  if (!scopes.every((s) => client.scopes.includes(s))) return fail(400, 'invalid_scope');
  const iat = Math.floor(Date.now() / 1000);
  const scope = scopes.join(' ');
  if (insertToken) {
    const token = `lean_at_${randomBytes(32).toString('base64url')}`;
    const tokenHash = createHmac('sha256', hmacKey).update(token).digest('base64url');
    insertToken.run(tokenHash, clientId, randomUUID(), scope, JSON.stringify([client.audience]), iat, iat + client.ttl);
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: client.ttl, scope } };
  }
  const payload = {
    iss: issuer,
    sub: clientId,
    client_id: clientId,
    aud: client.audience,
    iat,
    nbf: iat,
    exp: iat + client.ttl,
    jti: randomUUID(),
    scope,
    scp: scopes,
  };
  const input = `${encodedHeader}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = sign(hash, Buffer.from(input), signOptions).toString('base64url');
  return {
    status: 200,
    body: { access_token: `${input}.${signature}`, token_type: 'Bearer', expires_in: client.ttl, scope },
  };
}

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
  done(null, new URLSearchParams(body as string)),
);
app.post('/oauth2/token', async (req, reply) => {
  const { status, body } = issue(req.body as URLSearchParams, req.headers.authorization);
  return reply.code(status).header('cache-control', 'no-store').header('pragma', 'no-cache').send(body);
});

await app.listen({ port, host: '127.0.0.1' });
process.stdout.write('READY\n');
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    db?.close();
    process.exit(0);
  });
}

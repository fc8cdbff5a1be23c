/**
 * oidc-provider (panva), configured for exactly the benchmarked workload:
 * the client_credentials grant, client_secret_basic, one client, and access
 * tokens that are JWTs signed with BENCH_ALG (through its resourceIndicators
 * feature, the documented way to get JWT access tokens) or opaque
 * (BENCH_FORMAT=opaque, kept in its default in-memory adapter). Everything
 * else is left at its defaults.
 *
 * Environment: PORT, BENCH_ALG (RS256 | ES256 | EdDSA), BENCH_FORMAT
 * (jwt | opaque), BENCH_CLIENT_ID, BENCH_CLIENT_SECRET, BENCH_INTROSPECTION
 * (`1`: its introspection endpoint on, at /token/introspection). Prints
 * `READY` when listening on 127.0.0.1.
 */
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const alg = process.env.BENCH_ALG ?? 'RS256';
const format: 'jwt' | 'opaque' = process.env.BENCH_FORMAT === 'opaque' ? 'opaque' : 'jwt';
const issuer = `http://127.0.0.1:${port}`;
const RESOURCE = 'urn:tessera-bench:calendar';

function privateJwk(): JsonWebKey {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return { ...pair.privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: `bench-${alg}` };
}

// A variable, not a literal: the shared declaration (packages/client/src/testing) lists fewer options.
const configuration = {
  clients: [
    {
      client_id: process.env.BENCH_CLIENT_ID ?? 'bench-client',
      client_secret: process.env.BENCH_CLIENT_SECRET ?? 'bench-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'a b',
      // Its default (RS256) needs an RS256 key even when tokens are signed with another.
      id_token_signed_response_alg: alg,
    },
  ],
  jwks: { keys: [privateJwk()] },
  scopes: ['a', 'b'],
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
    introspection: { enabled: process.env.BENCH_INTROSPECTION === '1' },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'a b',
        audience: 'calendar',
        accessTokenTTL: 3600,
        accessTokenFormat: format,
        ...(format === 'jwt' ? { jwt: { sign: { alg } } } : {}),
      }),
    },
  },
  cookies: { keys: ['bench-cookie-key-not-secret'] },
  ttl: { ClientCredentials: 3600 },
};
const provider = new Provider(issuer, configuration);

const server = createServer(provider.callback());
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.stdout.write('READY\n'));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));

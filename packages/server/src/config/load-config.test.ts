import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('applies the documented defaults and freezes the result', () => {
    const c = loadConfig({});
    assert.deepEqual(
      { ...c },
      {
        port: 8080,
        host: '127.0.0.1',
        issuer: undefined,
        adminKey: undefined,
        adminKeyPrevious: undefined,
        databaseUrl: 'sqlite:./data/tessera.db',
        defaultAudience: undefined,
        redisUrl: undefined,
        signingAlg: 'RS256',
        encryptionKey: undefined,
        encryptionKeyPrevious: undefined,
        workers: 1,
        clientCacheSize: 100_000,
        logLevel: 'info',
        bodyLimit: 65536,
        shutdownDrainMs: 2000,
        shutdownTimeoutMs: 10000,
        tlsCert: undefined,
        tlsKey: undefined,
        trustProxy: false,
        tlsClientCa: undefined,
        clientCertHeader: undefined,
        requestTimeoutMs: 30000,
        headersTimeoutMs: 10000,
        keyRotationDays: 90,
        auditRetentionDays: 90,
        tokenRateLimit: 0,
        authFailuresPerAddress: 600,
        authFailuresPerClient: 300,
        dpopNonce: 'off',
        console: true,
        metrics: true,
        metricsPort: undefined,
        statusLists: true,
        statusEventsMaxSubscribers: 10_000,
        metricsHost: '127.0.0.1',
      },
    );
    assert.ok(Object.isFrozen(c));
  });

  it('reads every TESSERA_* variable', () => {
    const c = loadConfig({
      TESSERA_PORT: '9000',
      TESSERA_HOST: '0.0.0.0',
      TESSERA_ISSUER: 'https://auth.example.com/',
      TESSERA_ADMIN_KEY: 'a-long-enough-admin-key',
      TESSERA_DATABASE_URL: 'postgres://u@db/tessera',
      TESSERA_REDIS_URL: 'redis://cache:6379',
      TESSERA_SIGNING_ALG: 'EdDSA',
      TESSERA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64url'),
      TESSERA_WORKERS: '2',
      TESSERA_CLIENT_CACHE_SIZE: '5000',
      TESSERA_LOG_LEVEL: 'warn',
    });
    assert.equal(c.port, 9000);
    assert.equal(c.issuer, 'https://auth.example.com', 'a trailing slash is dropped');
    assert.equal(c.signingAlg, 'EdDSA');
    assert.equal(c.workers, 2);
    assert.equal(c.clientCacheSize, 5000);
    assert.equal(c.databaseUrl, 'postgres://u@db/tessera');
  });

  it('reads the mutual TLS settings; the header name in lower case, as Node reads headers', () => {
    const c = loadConfig({
      TESSERA_TLS_CLIENT_CA: '/etc/tessera/clients-ca.pem',
      TESSERA_CLIENT_CERT_HEADER: 'Client-Cert',
    });
    assert.equal(c.tlsClientCa, '/etc/tessera/clients-ca.pem');
    assert.equal(c.clientCertHeader, 'client-cert');
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ TESSERA_PORT: 'abc' }, /^TESSERA_PORT must be a port number \(got "abc"\)$/],
    [{ TESSERA_PORT: '70000' }, /^TESSERA_PORT must be between 0 and 65535/],
    [{ TESSERA_ISSUER: 'ftp://x' }, /^TESSERA_ISSUER must be an http\(s\) URL/],
    [{ TESSERA_ISSUER: 'https://x/?a=1' }, /^TESSERA_ISSUER must be an http\(s\) URL without query/],
    [{ TESSERA_SIGNING_ALG: 'HS256' }, /^TESSERA_SIGNING_ALG must be one of RS256, PS256, ES256, EdDSA/],
    [{ TESSERA_DATABASE_URL: 'mysql://x' }, /^TESSERA_DATABASE_URL must be sqlite:PATH or postgres:\/\/…/],
    [
      { TESSERA_ENCRYPTION_KEY: 'short' },
      /^TESSERA_ENCRYPTION_KEY must be 32 bytes, base64url-encoded \(43 characters\)$/,
    ],
    [{ TESSERA_ADMIN_KEY: 'short' }, /^TESSERA_ADMIN_KEY must be at least 16 characters$/],
    [
      { TESSERA_ENCRYPTION_KEY_PREVIOUS: `${Buffer.alloc(32, 1).toString('base64url')},short` },
      /^TESSERA_ENCRYPTION_KEY_PREVIOUS must be one or more comma-separated 32-byte base64url keys \(43 characters each\)$/,
    ],
    [{ TESSERA_ENCRYPTION_KEY_PREVIOUS: ' , ' }, /^TESSERA_ENCRYPTION_KEY_PREVIOUS must be one or more/],
    [{ TESSERA_WORKERS: '0' }, /^TESSERA_WORKERS must be at least 1/],
    [{ TESSERA_CLIENT_CACHE_SIZE: '0' }, /^TESSERA_CLIENT_CACHE_SIZE must be at least 1/],
    [{ TESSERA_LOG_LEVEL: 'loud' }, /^TESSERA_LOG_LEVEL must be one of fatal/],
    [{ TESSERA_REDIS_URL: 'http://x' }, /^TESSERA_REDIS_URL must be a redis:\/\//],
    [{ TESSERA_TLS_CERT: '/etc/cert.pem' }, /^TESSERA_TLS_CERT and TESSERA_TLS_KEY must be set together$/],
    [{ TESSERA_ADMIN_KEY_PREVIOUS: 'an-old-admin-key-123' }, /^TESSERA_ADMIN_KEY_PREVIOUS needs TESSERA_ADMIN_KEY/],
    [
      { TESSERA_WORKERS: '2', TESSERA_DATABASE_URL: 'sqlite::memory:' },
      /^TESSERA_WORKERS above 1 needs a database the workers share/,
    ],
    [{ TESSERA_TRUST_PROXY: 'maybe' }, /^TESSERA_TRUST_PROXY must be true, false, a hop count/],
    [{ TESSERA_DPOP_NONCE: 'sometimes' }, /^TESSERA_DPOP_NONCE must be off or required \(got "sometimes"\)$/],
    [{ TESSERA_CLIENT_CERT_HEADER: 'Client Cert' }, /^TESSERA_CLIENT_CERT_HEADER must be a header name/],
    [
      { TESSERA_CLIENT_CERT_HEADER: 'Authorization' },
      /^TESSERA_CLIENT_CERT_HEADER must not be a header Tessera reads for something else/,
    ],
    [
      { TESSERA_HEADERS_TIMEOUT_MS: '60000' },
      /^TESSERA_HEADERS_TIMEOUT_MS must not exceed TESSERA_REQUEST_TIMEOUT_MS$/,
    ],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with one line naming the variable`, () => {
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'),
      );
    });
  }

  it('never echoes a key it refuses', () => {
    for (const env of ['TESSERA_ENCRYPTION_KEY', 'TESSERA_ENCRYPTION_KEY_PREVIOUS', 'TESSERA_ADMIN_KEY_PREVIOUS']) {
      assert.throws(
        () => loadConfig({ TESSERA_ADMIN_KEY: 'a-long-enough-admin-key', [env]: 'secret' }),
        (err: Error) => err.message.startsWith(env) && !err.message.includes('secret'),
      );
    }
  });

  it('reads TESSERA_ENCRYPTION_KEY_PREVIOUS as a list of keys', () => {
    const [a, b] = [Buffer.alloc(32, 1).toString('base64url'), Buffer.alloc(32, 2).toString('base64url')];
    assert.deepEqual(loadConfig({ TESSERA_ENCRYPTION_KEY_PREVIOUS: a }).encryptionKeyPrevious, [a]);
    assert.deepEqual(loadConfig({ TESSERA_ENCRYPTION_KEY_PREVIOUS: ` ${a}, ${b}=` }).encryptionKeyPrevious, [
      a,
      `${b}=`,
    ]);
  });

  it('reads TESSERA_TRUST_PROXY as a flag, a hop count or a list', () => {
    assert.equal(loadConfig({ TESSERA_TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig({ TESSERA_TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ TESSERA_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, [
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
  });

  it('treats empty variables as unset', () => {
    assert.equal(loadConfig({ TESSERA_PORT: '', TESSERA_ADMIN_KEY: '' }).port, 8080);
  });
});

import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ClientMetadata, ClientRecord, SecretRecord } from '../clients/client.js';
import type { TrustedIssuerRecord } from '../federation/trusted-issuer.js';
import { activity, auditLog } from './history-contract.test-suite.js';
import { statusLists } from './status-contract.test-suite.js';
import {
  DuplicateClientError,
  DuplicateIssuerError,
  type OpaqueTokenRecord,
  type SigningKeyRecord,
  type Store,
} from './types.js';

/**
 * The behaviour every backend must have, run by each backend's own test file.
 *
 * `open` is called once for the store most tests share, and again by the
 * tests that close one. The first store it gives must be empty; later ones
 * may see the same data. Every test makes its own ids and, for what is
 * global (scopes, the longest TTL, signing keys, purging), asserts the
 * change it makes, so tests never need the database emptied between them.
 * Times are passed in, never read from a clock, so nothing sleeps.
 */
export interface ContractOptions {
  /**
   * True where spent jtis and the denylist are read from Redis, which
   * expires entries itself: purgeExpired then neither counts nor removes them.
   */
  redisHoldsReplayAndRevocation?: boolean;
  /**
   * Opens another store on the same database, as another worker process or
   * node has it (`:memory:` has none): single use must hold across them.
   */
  openPeer?: () => Promise<Store>;
}

export function runStoreContract(name: string, open: () => Promise<Store>, options: ContractOptions = {}): void {
  const purgesAll = !options.redisHoldsReplayAndRevocation;
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await store?.close();
    });
    const s = () => store;

    describe('a new store', () => emptyStore(s));
    describe('clients', () => clients(s));
    describe('client secrets', () => secrets(s));
    describe('trusted issuers', () => trustedIssuers(s));
    describe('scopes and token lifetimes', () => scopesAndTtl(s));
    describe('signing keys', () => signingKeys(s));
    describe('settings', () => settings(s));
    describe('encryption key rotation', () => encryptionKeyRotation(s));
    describe('opaque tokens', () => opaqueTokens(s));
    describe('revocation and replay', () => revocationAndReplay(s, options.openPeer));
    describe('purgeExpired', () => purging(s, purgesAll));
    describe('audit log', () => auditLog(s));
    describe('activity counts', () => activity(s));
    // Status rows live in the SQL store: a peer that shares only Redis (the SQLite + Redis harness, each node
    // on its own :memory: database) is not another node of the same deployment for them.
    describe('status lists', () =>
      statusLists(s, options.redisHoldsReplayAndRevocation ? undefined : options.openPeer));
    describe('lifecycle', () => lifecycle(s, open));
  });
}

type Get = () => Store;
const T = 1_750_000_000_000;

function id(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

function metadata(over: Partial<ClientMetadata> = {}): ClientMetadata {
  return {
    scope: 'read write',
    audience: ['https://api.example'],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    access_token_ttl: 300,
    access_token_format: 'jwt',
    claims: {},
    ...over,
  };
}

function client(clientId: string, over: Partial<ClientMetadata> = {}, at = T): ClientRecord {
  return { clientId, metadata: metadata(over), createdAt: at, updatedAt: at };
}

function secret(createdAt: number, over: Partial<SecretRecord> = {}): SecretRecord {
  return { id: id('sec'), hash: id('hash'), sealed: null, createdAt, expiresAt: null, ...over };
}

/**
 * The token row each backend's v1-schema test writes (hash 'digest', client
 * 'c', jti 'j', scope 'a', audience ['x'], iat 10, exp 20), as read after
 * migration 2 moved it under its h:<hash> id: without `extension`, which
 * migration 3 leaves NULL.
 */
export const MIGRATED_V1_TOKEN: OpaqueTokenRecord = {
  id: 'h:digest',
  hash: 'digest',
  clientId: 'c',
  jti: 'j',
  scope: 'a',
  audience: ['x'],
  iat: 10,
  exp: 20,
};

/**
 * Extension claims as token exchange and sender-constrained tokens will
 * store them: nested `act`, a `cnf`, and values a JSON column could mangle
 * (a NUL, which JSONB refuses; non-ASCII and a lone surrogate; keys in an
 * order JSONB would sort;
 * numbers, booleans, null, arrays).
 */
export const EXTENSION: Readonly<Record<string, unknown>> = {
  sub: 'alice',
  act: { sub: 'svc-b', act: { sub: 'svc-c' } },
  cnf: { jkt: 'abc' },
  zz_first: 'z',
  a: 'a',
  odd: 'nul\u0000 tab\t quote" snowman\u2603 pile\u{1f4a9} lone\ud800',
  numbers: [0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER],
  flags: { yes: true, no: false, none: null },
  empty: {},
  list: [],
};

/** An opaque token row with fresh ids; also the fixture of the SQLite-only token tests. */
export function opaqueToken(clientId: string, over: Partial<OpaqueTokenRecord> = {}): OpaqueTokenRecord {
  return {
    id: id('tok'),
    hash: id('hash'),
    clientId,
    jti: id('jti'),
    scope: 'read',
    audience: ['https://api.example', 'https://other.example'],
    iat: 1_750_000_000,
    exp: 1_750_000_300,
    ...over,
  };
}

function emptyStore(store: Get): void {
  it('has no clients, scopes, keys or settings', async () => {
    assert.deepEqual(await store().listClients(undefined, 10), []);
    assert.deepEqual(await store().listScopes(), []);
    assert.equal(await store().maxAccessTokenTtl(), 0);
    assert.deepEqual(await store().listSigningKeys(), []);
    assert.equal(await store().getSetting('admin_key'), undefined);
  });
}

function issuer(over: Partial<TrustedIssuerRecord['config']> = {}, at = T): TrustedIssuerRecord {
  return {
    id: randomUUID(),
    config: { issuer: `https://${randomUUID()}.issuer.example`, kind: 'oidc', max_token_lifetime: 3600, ...over },
    createdAt: at,
    updatedAt: at,
  };
}

function trustedIssuers(store: Get): void {
  it('inserts, gets, updates and deletes a trusted issuer, its config round-tripped exactly', async () => {
    const r = issuer({
      kind: 'spiffe',
      trust_domain: 'prod.example',
      audience: 'https://tessera.example',
      jwks: {
        keys: [
          { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9', use: 'jwt-svid' },
        ],
      },
      description: 'Café ☕ a\u0000b',
    });
    await store().insertTrustedIssuer(r);
    assert.deepEqual(await store().getTrustedIssuer(r.id), r);
    const changed: TrustedIssuerRecord = {
      ...r,
      config: { issuer: r.config.issuer, kind: 'oidc', jwks_uri: 'https://keys.example/jwks', max_token_lifetime: 600 },
      updatedAt: T + 5,
    };
    assert.equal(await store().updateTrustedIssuer(changed), true);
    assert.deepEqual(await store().getTrustedIssuer(r.id), changed);
    assert.equal(await store().deleteTrustedIssuer(r.id), true);
    assert.equal(await store().getTrustedIssuer(r.id), undefined);
    assert.equal(await store().deleteTrustedIssuer(r.id), false);
    assert.equal(await store().updateTrustedIssuer(changed), false, 'no row to update');
  });

  it('refuses a second trusted issuer with the same issuer, on insert and on update', async () => {
    const a = issuer();
    const b = issuer();
    await store().insertTrustedIssuer(a);
    await store().insertTrustedIssuer(b);
    await assert.rejects(store().insertTrustedIssuer(issuer({ issuer: a.config.issuer })), DuplicateIssuerError);
    await assert.rejects(
      store().updateTrustedIssuer({ ...b, config: { ...b.config, issuer: a.config.issuer } }),
      DuplicateIssuerError,
    );
    assert.deepEqual(await store().getTrustedIssuer(b.id), b, 'unchanged');
  });

  it('lists by id, strictly after `after`, up to `limit`', async () => {
    const made = [issuer(), issuer(), issuer()];
    for (const r of made) await store().insertTrustedIssuer(r);
    const all = await store().listTrustedIssuers(undefined, 10_000);
    const ids = all.map((r) => r.id);
    assert.deepEqual(
      ids,
      [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
    );
    for (const r of made)
      assert.deepEqual(
        all.find((x) => x.id === r.id),
        r,
      );
    const first = all[0] as TrustedIssuerRecord;
    assert.deepEqual(await store().listTrustedIssuers(first.id, 2), all.slice(1, 3));
    assert.deepEqual(await store().listTrustedIssuers(undefined, 0), []);
  });

  it('returns undefined for an unknown id', async () => {
    assert.equal(await store().getTrustedIssuer(randomUUID()), undefined);
  });
}

function clients(store: Get): void {
  it('inserts a client with its secret and gets both back', async () => {
    const c = client(id('c'));
    const sec = secret(T, { sealed: 'sealed-bytes' });
    await store().insertClient(c, sec);
    assert.deepEqual(await store().getClient(c.clientId), { ...c, secrets: [sec] });
  });

  it('inserts a client without a secret', async () => {
    const c = client(id('c'), { token_endpoint_auth_method: 'private_key_jwt' });
    await store().insertClient(c, null);
    assert.deepEqual(await store().getClient(c.clientId), { ...c, secrets: [] });
  });

  it('returns undefined for an unknown client', async () => {
    assert.equal(await store().getClient(id('missing')), undefined);
  });

  it('round-trips every metadata field exactly', async () => {
    // "\u0000" is valid JSON that client validation lets through in claims;
    // a backend storing JSONB would refuse it.
    const c = client(id('c'), {
      client_name: 'Café ☕ 🚀',
      scope: 'files:read files:write',
      audience: [],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: {
        keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9', kid: 'k1' }],
      },
      jwks_uri: 'https://client.example/jwks.json',
      access_token_ttl: 86_400,
      access_token_format: 'opaque',
      claims: { tenant: 'acme', nested: { list: [1, 2.5, null, true, 'x'] }, nul: 'a\u0000b', max: 2 ** 53 - 1 },
    });
    await store().insertClient(c, null);
    assert.deepEqual((await store().getClient(c.clientId))?.metadata, c.metadata);
  });

  it('refuses a duplicate id with DuplicateClientError and keeps the original', async () => {
    const c = client(id('c'));
    const sec = secret(T);
    await store().insertClient(c, sec);
    await assert.rejects(
      store().insertClient(client(c.clientId, { scope: 'other' }, T + 1), secret(T + 1)),
      DuplicateClientError,
    );
    assert.deepEqual(await store().getClient(c.clientId), { ...c, secrets: [sec] });
  });

  it('inserts client and secret atomically; a clashing secret id is not a duplicate client', async () => {
    const taken = secret(T);
    await store().insertClient(client(id('c')), taken);
    const c = client(id('c'));
    await assert.rejects(store().insertClient(c, secret(T, { id: taken.id })), (err: unknown) => {
      assert.ok(!(err instanceof DuplicateClientError), 'a secret id clash was reported as a duplicate client');
      return true;
    });
    assert.equal(await store().getClient(c.clientId), undefined);
  });

  it('lists by client id in byte order, strictly after `after`, up to `limit`', async () => {
    const p = id('list');
    // Byte order puts 'B' < '_' < 'a' < 'a0'; a locale collation would not.
    const ids = [`${p}/a`, `${p}/_`, `${p}/a0`, `${p}/B`];
    for (const [i, clientId] of ids.entries()) await store().insertClient(client(clientId, {}, T + i), null);
    const byId = (clientId: string) => client(clientId, {}, T + ids.indexOf(clientId));
    const sorted = [`${p}/B`, `${p}/_`, `${p}/a`, `${p}/a0`];

    assert.deepEqual(await store().listClients(`${p}/`, 4), sorted.map(byId));
    assert.deepEqual(await store().listClients(`${p}/`, 2), sorted.slice(0, 2).map(byId));
    assert.deepEqual(await store().listClients(`${p}/_`, 2), sorted.slice(2, 4).map(byId));
    assert.deepEqual(await store().listClients(`${p}/B`, 1), [byId(`${p}/_`)]);
    assert.deepEqual(await store().listClients(`${p}/`, 0), []);
  });

  it('lists from the first client when `after` is undefined', async () => {
    await store().insertClient(client(id('c')), null);
    const all = (await store().listClients(undefined, 10_000)).map((c) => c.clientId);
    assert.ok(all.length >= 1);
    for (let i = 1; i < all.length; i++) {
      assert.ok(Buffer.compare(Buffer.from(all[i - 1] ?? ''), Buffer.from(all[i] ?? '')) < 0, 'not in byte order');
    }
    assert.deepEqual(
      (await store().listClients(undefined, 2)).map((c) => c.clientId),
      all.slice(0, 2),
    );
  });

  it('pages clients with their secrets in client id order, as getClient reads each one', async () => {
    const p = id('stored');
    const ids = [`${p}/b`, `${p}/a`, `${p}/c`, `${p}/d`];
    await store().insertClient(client(ids[0] as string), secret(T));
    await store().insertClient(client(ids[1] as string, { token_endpoint_auth_method: 'private_key_jwt' }), null);
    await store().insertClient(client(ids[2] as string), secret(T));
    assert.equal(await store().addSecret(ids[2] as string, secret(T + 1), T + 60_000, T), true);
    await store().insertClient(client(ids[3] as string), secret(T, { sealed: 'sealed' }));
    const sorted = [...ids].sort();
    const expected = await Promise.all(sorted.map((c) => store().getClient(c)));

    const first = await store().listStoredClients(`${p}/`, 3);
    assert.deepEqual(first, expected.slice(0, 3), 'a page holds whole clients, secrets included');
    assert.equal(first[2]?.secrets.length, 2, 'both secrets of the client with two');
    assert.deepEqual(first[0]?.secrets, [], 'a client without a secret is listed too');
    assert.deepEqual(await store().listStoredClients(first[2]?.clientId, 3), expected.slice(3, 4));
    assert.deepEqual(await store().listStoredClients(`${p}/`, 0), []);
  });

  it('updates metadata and updatedAt, keeping createdAt and secrets', async () => {
    const c = client(id('c'));
    const sec = secret(T);
    await store().insertClient(c, sec);
    const changed = metadata({ scope: 'admin', access_token_ttl: 60, client_name: 'renamed' });
    assert.equal(await store().updateClient(c.clientId, changed, T + 5), true);
    assert.deepEqual(await store().getClient(c.clientId), {
      clientId: c.clientId,
      metadata: changed,
      createdAt: T,
      updatedAt: T + 5,
      secrets: [sec],
    });
    assert.equal(await store().updateClient(id('missing'), changed, T), false);
  });

  it('updates metadata and deletes every secret at once, leaving other clients alone', async () => {
    const c = client(id('c'));
    const other = client(id('c'));
    await store().insertClient(c, secret(T));
    await store().addSecret(c.clientId, secret(T + 1, { sealed: 'v1.sealed' }), T + 60_000, T + 1);
    const kept = secret(T);
    await store().insertClient(other, kept);
    const changed = metadata({ token_endpoint_auth_method: 'private_key_jwt' });
    assert.equal(await store().updateClientSecrets(c.clientId, changed, T + 5, 'delete'), true);
    assert.deepEqual(await store().getClient(c.clientId), {
      clientId: c.clientId,
      metadata: changed,
      createdAt: T,
      updatedAt: T + 5,
      secrets: [],
    });
    assert.deepEqual((await store().getClient(other.clientId))?.secrets, [kept]);
    assert.equal(await store().updateClientSecrets(id('missing'), changed, T, 'delete'), false);
  });

  it('updates metadata and drops the sealed copies of the secrets at once, keeping their hashes', async () => {
    const c = client(id('c'));
    const other = client(id('c'));
    const sealed = secret(T, { sealed: 'v1.sealed' });
    await store().insertClient(c, sealed);
    const kept = secret(T, { sealed: 'v1.other' });
    await store().insertClient(other, kept);
    const changed = metadata({ token_endpoint_auth_method: 'client_secret_basic' });
    assert.equal(await store().updateClientSecrets(c.clientId, changed, T + 5, 'unseal'), true);
    const read = await store().getClient(c.clientId);
    assert.deepEqual(read?.metadata, changed);
    assert.deepEqual(read?.secrets, [{ ...sealed, sealed: null }]);
    assert.deepEqual((await store().getClient(other.clientId))?.secrets, [kept]);
  });

  it('deletes a client with its secrets, and nothing else', async () => {
    const c = client(id('c'));
    const other = client(id('c'));
    await store().insertClient(c, secret(T));
    await store().insertClient(other, null);
    const own = [opaqueToken(c.clientId), opaqueToken(c.clientId)];
    const kept = opaqueToken(other.clientId);
    for (const t of [...own, kept]) await store().insertOpaqueToken(t);

    assert.equal(await store().deleteClient(c.clientId), true);
    assert.equal(await store().getClient(c.clientId), undefined);
    // Its opaque tokens are left for the purge: readers check the client (types.ts).
    for (const t of [...own, kept]) assert.deepEqual(await store().getOpaqueToken(t.id), t);
    assert.equal(await store().deleteClient(c.clientId), false);

    // Re-created under the same id, it must not inherit the old secrets.
    await store().insertClient(c, null);
    assert.deepEqual((await store().getClient(c.clientId))?.secrets, []);
  });
}

function secrets(store: Get): void {
  it('caps every other secret at previousExpiresAt and drops the expired ones', async () => {
    const c = client(id('c'));
    const s1 = secret(T + 1);
    const s2 = secret(T + 2);
    const s3 = secret(T + 3, { sealed: 'sealed' });
    const s4 = secret(T + 12_000);
    await store().insertClient(c, s1);

    assert.equal(await store().addSecret(c.clientId, s2, T + 10_000, T), true);
    assert.deepEqual((await store().getClient(c.clientId))?.secrets, [s2, { ...s1, expiresAt: T + 10_000 }]);

    // s1 keeps its earlier expiry; s2, unlimited so far, gets the new one.
    assert.equal(await store().addSecret(c.clientId, s3, T + 20_000, T), true);
    assert.deepEqual((await store().getClient(c.clientId))?.secrets, [
      s3,
      { ...s2, expiresAt: T + 20_000 },
      { ...s1, expiresAt: T + 10_000 },
    ]);

    // At T+12000, s1 has expired and goes; a later cap lowers s2 and caps s3.
    assert.equal(await store().addSecret(c.clientId, s4, T + 15_000, T + 12_000), true);
    assert.deepEqual((await store().getClient(c.clientId))?.secrets, [
      s4,
      { ...s3, expiresAt: T + 15_000 },
      { ...s2, expiresAt: T + 15_000 },
    ]);
  });

  it('removes every other secret at once when previousExpiresAt is now', async () => {
    const c = client(id('c'));
    await store().insertClient(c, secret(T));
    await store().addSecret(c.clientId, secret(T + 1), T + 60_000, T + 1);
    const last = secret(T + 2);
    assert.equal(await store().addSecret(c.clientId, last, T + 2, T + 2), true);
    assert.deepEqual((await store().getClient(c.clientId))?.secrets, [last]);
  });

  it('returns false for an unknown client and stores nothing', async () => {
    const missing = id('missing');
    assert.equal(await store().addSecret(missing, secret(T), T, T), false);
    assert.equal(await store().getClient(missing), undefined);
  });

  it('serialises concurrent rotations: exactly one secret is left unlimited', async () => {
    const c = client(id('c'));
    await store().insertClient(c, secret(T));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store().addSecret(c.clientId, secret(T + 1 + i), T + 60_000, T)),
    );
    assert.deepEqual(results, Array(10).fill(true));
    const all = (await store().getClient(c.clientId))?.secrets ?? [];
    assert.equal(all.length, 11);
    assert.equal(all.filter((x) => x.expiresAt === null).length, 1);
    assert.equal(all.filter((x) => x.expiresAt === T + 60_000).length, 10);
  });
}

function scopesAndTtl(store: Get): void {
  it('lists the sorted union of all clients’ scopes, without empties', async () => {
    const before = await store().listScopes();
    const p = randomUUID().slice(0, 8);
    const [a, b, c, d] = [`${p}:a`, `${p}:b`, `${p}:c`, `${p}:d`];
    const c1 = client(id('c'), { scope: `${b} ${a}` });
    const c2 = client(id('c'), { scope: ` ${c}  ${a} ` });
    await store().insertClient(c1, null);
    await store().insertClient(c2, null);
    await store().insertClient(client(id('c'), { scope: '' }), null);
    const union = (...extra: string[]) => [...new Set([...before, ...extra])].sort();
    assert.deepEqual(await store().listScopes(), union(a, b, c));

    await store().updateClient(c2.clientId, metadata({ scope: d }), T + 1);
    assert.deepEqual(await store().listScopes(), union(a, b, d));
    await store().deleteClient(c1.clientId);
    assert.deepEqual(await store().listScopes(), union(d));
  });

  it('reports the longest access_token_ttl, following updates and deletes', async () => {
    const before = await store().maxAccessTokenTtl();
    const c = client(id('c'), { access_token_ttl: before + 1234 });
    await store().insertClient(c, null);
    assert.equal(await store().maxAccessTokenTtl(), before + 1234);
    await store().updateClient(c.clientId, metadata({ access_token_ttl: before + 5 }), T + 1);
    assert.equal(await store().maxAccessTokenTtl(), before + 5);
    await store().deleteClient(c.clientId);
    assert.equal(await store().maxAccessTokenTtl(), before);
  });
}

function signingKey(kid: string, activatesAt: number): SigningKeyRecord {
  return {
    kid,
    alg: 'ES256',
    publicJwk: JSON.stringify({ kty: 'EC', kid }),
    sealedPrivateKey: `sealed-${kid}`,
    createdAt: activatesAt,
    activatesAt,
    retiresAt: null,
  };
}

function signingKeys(store: Get): void {
  async function ours(kids: string[]): Promise<SigningKeyRecord[]> {
    const all = await store().listSigningKeys();
    for (let i = 1; i < all.length; i++) {
      assert.ok((all[i - 1]?.activatesAt ?? 0) >= (all[i]?.activatesAt ?? 0), 'not newest activation first');
    }
    return all.filter((k) => kids.includes(k.kid));
  }

  it('retires current keys, keeps earlier retirements, purges long-retired keys', async () => {
    const t = T + 1_000_000;
    const k1 = signingKey(id('k1'), t + 1000);
    const k2 = signingKey(id('k2'), t + 2000);
    const k3 = signingKey(id('k3'), t + 3000);
    const k4 = signingKey(id('k4'), t + 4000);
    const kids = [k1, k2, k3, k4].map((k) => k.kid);

    await store().rotateSigningKey(k1, t, 0);
    assert.deepEqual(await ours(kids), [k1]);
    assert.deepEqual(
      (await store().listSigningKeys()).filter((k) => k.retiresAt === null).map((k) => k.kid),
      [k1.kid],
    );

    await store().rotateSigningKey(k2, t + 5000, 0);
    assert.deepEqual(await ours(kids), [k2, { ...k1, retiresAt: t + 5000 }]);

    await store().rotateSigningKey(k3, t + 9000, 0);
    assert.deepEqual(await ours(kids), [k3, { ...k2, retiresAt: t + 9000 }, { ...k1, retiresAt: t + 5000 }]);

    // Retired strictly before purgeBefore goes: k1 (t+5000), not k2 (t+9000).
    await store().rotateSigningKey(k4, t + 12_000, t + 9000);
    assert.deepEqual(await ours(kids), [k4, { ...k3, retiresAt: t + 12_000 }, { ...k2, retiresAt: t + 9000 }]);
  });

  it('leaves exactly one current key after concurrent rotations', async () => {
    const t = T + 2_000_000;
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => store().rotateSigningKey(signingKey(id('kc'), t + i), t + 100, 0)),
    );
    assert.equal((await store().listSigningKeys()).filter((k) => k.retiresAt === null).length, 1);
  });
}

function encryptionKeyRotation(store: Get): void {
  // A key id of its own per test: values other tests stored never match it.
  const keyPrefix = () => `v1.${randomUUID().slice(0, 8)}.`;

  it('lists sealed keys and client secrets not under the given prefix, with the row each is bound to', async () => {
    const current = keyPrefix();
    const old = keyPrefix();
    const c = client(id('c'));
    const oldSecret = secret(T, { sealed: `${old}s1` });
    const currentSecret = secret(T + 1, { sealed: `${current}s2` });
    const hashOnly = secret(T + 2);
    await store().insertClient(c, oldSecret);
    await store().addSecret(c.clientId, currentSecret, T + 60_000, T);
    await store().addSecret(c.clientId, hashOnly, T + 60_000, T);
    const oldKey = { ...signingKey(id('k'), T + 3_000_000), sealedPrivateKey: `${old}k1` };
    const currentKey = { ...signingKey(id('k'), T + 3_000_001), sealedPrivateKey: `${current}k2` };
    await store().rotateSigningKey(oldKey, T + 3_100_000, 0);
    await store().rotateSigningKey(currentKey, T + 3_100_000, 0);

    const listed = (await store().listSealedValues(current)).filter(
      (v) => v.sealed.startsWith(old) || v.sealed.startsWith(current),
    );
    assert.deepEqual(
      listed.sort((a, b) => a.sealed.localeCompare(b.sealed)),
      [
        { ref: { kind: 'signing-key', kid: oldKey.kid }, sealed: oldKey.sealedPrivateKey },
        { ref: { kind: 'client-secret', clientId: c.clientId, secretId: oldSecret.id }, sealed: `${old}s1` },
      ],
    );
  });

  it('treats the prefix as text: "_" and "%" match only themselves', async () => {
    const c = client(id('c'));
    const sec = secret(T, { sealed: `v1.ab${randomUUID().slice(0, 6)}.x` });
    await store().insertClient(c, sec);
    const listed = await store().listSealedValues('v1.a_');
    assert.ok(listed.some((v) => v.sealed === sec.sealed));
    assert.equal(await store().countSecretHashes('h_sh-', T), 0);
    assert.equal(await store().countSecretHashes('h%', T), 0);
  });

  it('replaceSealedValue is compare-and-set on the old value', async () => {
    const c = client(id('c'));
    const sec = secret(T, { sealed: 'old-sealed' });
    await store().insertClient(c, sec);
    const ref = { kind: 'client-secret' as const, clientId: c.clientId, secretId: sec.id };
    assert.equal(await store().replaceSealedValue(ref, 'not-the-value', 'new'), false);
    assert.equal(await store().replaceSealedValue({ ...ref, clientId: id('other') }, 'old-sealed', 'new'), false);
    assert.equal(await store().replaceSealedValue(ref, 'old-sealed', 'new-sealed'), true);
    assert.equal(await store().replaceSealedValue(ref, 'old-sealed', 'newer'), false);
    assert.deepEqual((await store().getClient(c.clientId))?.secrets, [{ ...sec, sealed: 'new-sealed' }]);

    const key = signingKey(id('k'), T + 4_000_000);
    await store().rotateSigningKey(key, T + 4_100_000, 0);
    const keyRef = { kind: 'signing-key' as const, kid: key.kid };
    assert.equal(await store().replaceSealedValue(keyRef, 'not-the-value', 'new'), false);
    assert.equal(await store().replaceSealedValue(keyRef, key.sealedPrivateKey, 'resealed'), true);
    const stored = (await store().listSigningKeys()).find((k) => k.kid === key.kid);
    assert.deepEqual(stored, { ...key, sealedPrivateKey: 'resealed', retiresAt: stored?.retiresAt ?? null });
    assert.equal(await store().replaceSealedValue({ kind: 'signing-key', kid: id('k') }, 'x', 'y'), false);
  });

  it('replaceSealedValue from nodes at once: exactly one wins, and its value stays', async () => {
    const key = signingKey(id('k'), T + 5_000_000);
    await store().rotateSigningKey(key, T + 5_100_000, 0);
    const ref = { kind: 'signing-key' as const, kid: key.kid };
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store().replaceSealedValue(ref, key.sealedPrivateKey, `resealed-${i}`)),
    );
    assert.equal(results.filter(Boolean).length, 1);
    const winner = results.indexOf(true);
    const stored = (await store().listSigningKeys()).find((k) => k.kid === key.kid);
    assert.equal(stored?.sealedPrivateKey, `resealed-${winner}`);
  });

  it('counts live client secret hashes by prefix', async () => {
    const p = `hmac-sha256$${randomUUID().slice(0, 8)}$`;
    const c = client(id('c'));
    await store().insertClient(c, secret(T, { hash: `${p}a` }));
    await store().addSecret(c.clientId, secret(T + 1, { hash: `${p}b` }), T + 1000, T);
    await store().addSecret(c.clientId, secret(T + 2, { hash: 'hmac-sha256$other$c' }), T + 2000, T);
    // At T: all three live; at T+1000 the first has expired; at T+2000 the second too.
    assert.equal(await store().countSecretHashes(p, T), 2);
    assert.equal(await store().countSecretHashes(p, T + 1000), 1);
    assert.equal(await store().countSecretHashes(p, T + 2000), 0);
    assert.ok((await store().countSecretHashes('', T)) >= 3);
  });

  it('replaceSecretHash is compare-and-set on the old hash', async () => {
    const c = client(id('c'));
    const sec = secret(T, { hash: 'hmac-sha256$old$x' });
    await store().insertClient(c, sec);
    assert.equal(await store().replaceSecretHash(sec.id, 'hmac-sha256$wrong$x', 'hmac-sha256$new$y'), false);
    assert.equal(await store().replaceSecretHash(id('sec'), sec.hash, 'hmac-sha256$new$y'), false);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => store().replaceSecretHash(sec.id, sec.hash, 'hmac-sha256$new$y')),
    );
    assert.equal(results.filter(Boolean).length, 1);
    assert.deepEqual((await store().getClient(c.clientId))?.secrets, [{ ...sec, hash: 'hmac-sha256$new$y' }]);
  });
}

function settings(store: Get): void {
  it('gets undefined for an unknown setting', async () => {
    assert.equal(await store().getSetting(id('setting')), undefined);
  });

  it('setSettingIfAbsent stores once and then returns the stored value', async () => {
    const name = id('setting');
    assert.equal(await store().setSettingIfAbsent(name, 'first'), 'first');
    assert.equal(await store().setSettingIfAbsent(name, 'second'), 'first');
    assert.equal(await store().getSetting(name), 'first');
  });

  it('setSettingIfAbsent called concurrently agrees on one value', async () => {
    const name = id('setting');
    const got = await Promise.all(Array.from({ length: 10 }, (_, i) => store().setSettingIfAbsent(name, `v${i}`)));
    const stored = await store().getSetting(name);
    assert.ok(stored !== undefined);
    assert.deepEqual(got, Array(10).fill(stored));
  });

  it('setSetting inserts and overwrites', async () => {
    const name = id('setting');
    await store().setSetting(name, 'one');
    assert.equal(await store().getSetting(name), 'one');
    await store().setSetting(name, 'two');
    assert.equal(await store().getSetting(name), 'two');
    assert.equal(await store().setSettingIfAbsent(name, 'three'), 'two');
  });
}

function opaqueTokens(store: Get): void {
  it('inserts, gets and deletes a token', async () => {
    const c = client(id('c'));
    await store().insertClient(c, null);
    const t = opaqueToken(c.clientId);
    const noAudience = opaqueToken(c.clientId, { audience: [], scope: '' });
    await store().insertOpaqueToken(t);
    await store().insertOpaqueToken(noAudience);
    assert.deepEqual(await store().getOpaqueToken(t.id), t);
    assert.deepEqual(await store().getOpaqueToken(noAudience.id), noAudience);

    assert.equal(await store().deleteOpaqueToken(t.id), true);
    assert.equal(await store().getOpaqueToken(t.id), undefined);
    assert.equal(await store().deleteOpaqueToken(t.id), false);
    assert.deepEqual(await store().getOpaqueToken(noAudience.id), noAudience);
  });

  it('returns undefined for an unknown id', async () => {
    assert.equal(await store().getOpaqueToken(id('tok')), undefined);
  });

  it('round-trips extension claims exactly; a token without reads back without the property', async () => {
    const c = client(id('c'));
    await store().insertClient(c, null);
    const withExt = opaqueToken(c.clientId, { extension: EXTENSION });
    const without = opaqueToken(c.clientId);
    const emptyExt = opaqueToken(c.clientId, { extension: {} });
    await Promise.all([withExt, without, emptyExt].map((t) => store().insertOpaqueToken(t)));

    assert.deepEqual(await store().getOpaqueToken(withExt.id), withExt);
    const read = await store().getOpaqueToken(without.id);
    assert.deepEqual(read, without);
    assert.equal(Object.hasOwn(read ?? {}, 'extension'), false);
    // Given, even empty, is kept: only absence means none.
    assert.deepEqual(await store().getOpaqueToken(emptyExt.id), emptyExt);
  });

  it('fails only the insert whose extension JSON cannot hold (a bigint)', async () => {
    const c = client(id('c'));
    await store().insertClient(c, null);
    const good = [opaqueToken(c.clientId, { extension: EXTENSION }), opaqueToken(c.clientId)];
    const bad = opaqueToken(c.clientId, { extension: { n: 1n } });
    const results = await Promise.allSettled(
      [good[0], bad, good[1]].map((t) => store().insertOpaqueToken(t as OpaqueTokenRecord)),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(await store().getOpaqueToken(bad.id), undefined);
    for (const t of good) assert.deepEqual(await store().getOpaqueToken(t.id), t);
  });

  it('stores every token of a burst, and fails only the one whose id is taken', async () => {
    const c = client(id('c'));
    await store().insertClient(c, null);
    const taken = opaqueToken(c.clientId);
    await store().insertOpaqueToken(taken);
    // Inserted in one event-loop turn: the stores write these together.
    // Every third with extension claims: a batch binds both kinds of row.
    const burst = Array.from({ length: 300 }, (_, i) =>
      opaqueToken(c.clientId, i % 3 === 0 ? { scope: `s${i}`, extension: { sub: `u${i}` } } : { scope: `s${i}` }),
    );
    const duplicate = { ...opaqueToken(c.clientId), id: taken.id };
    const results = await Promise.allSettled([...burst, duplicate].map((t) => store().insertOpaqueToken(t)));
    assert.deepEqual(
      results.map((r) => r.status),
      [...burst.map(() => 'fulfilled'), 'rejected'],
    );
    for (const t of [burst[0], burst[1], burst[150], burst[299]]) {
      assert.deepEqual(await store().getOpaqueToken((t as OpaqueTokenRecord).id), t);
    }
    assert.deepEqual(await store().getOpaqueToken(taken.id), taken);
  });
}

function revocationAndReplay(store: Get, openPeer: (() => Promise<Store>) | undefined): void {
  it('a revoked jti stays revoked until its expiry, exclusive', async () => {
    const jti = id('jti');
    assert.equal(await store().isJtiRevoked(jti, T), false);
    await store().revokeJti(jti, T + 1000);
    assert.equal(await store().isJtiRevoked(jti, T), true);
    assert.equal(await store().isJtiRevoked(jti, T + 999), true);
    assert.equal(await store().isJtiRevoked(jti, T + 1000), false);
  });

  it('revoking again keeps the later expiry', async () => {
    const jti = id('jti');
    await store().revokeJti(jti, T + 1000);
    await store().revokeJti(jti, T + 500);
    assert.equal(await store().isJtiRevoked(jti, T + 999), true);
    await store().revokeJti(jti, T + 2000);
    assert.equal(await store().isJtiRevoked(jti, T + 1999), true);
    assert.equal(await store().isJtiRevoked(jti, T + 2000), false);
  });

  it('lists the revoked jtis that have not expired (to rebuild a fast copy)', async () => {
    const live = id('jti');
    const gone = id('jti');
    await store().revokeJti(live, T + 1000);
    await store().revokeJti(gone, T + 10);
    const listed = await store().listRevokedJtis(T + 10);
    assert.ok(listed.some((r) => r.jti === live && r.expiresAt === T + 1000));
    assert.ok(!listed.some((r) => r.jti === gone));
  });

  it('useOnce: true the first time, false while live, true again once expired', async () => {
    const key = id('use');
    assert.equal(await store().useOnce(key, T + 1000, T), true);
    // A refused use must not extend the entry: it still expires at T+1000.
    assert.equal(await store().useOnce(key, T + 5000, T + 500), false);
    assert.equal(await store().useOnce(key, T + 5000, T + 999), false);
    assert.equal(await store().useOnce(key, T + 3000, T + 1000), true);
    assert.equal(await store().useOnce(key, T + 9000, T + 2999), false);
  });

  it('useOnce is atomic: 40 concurrent uses of a new key, one wins', async () => {
    const key = id('use');
    const results = await Promise.all(Array.from({ length: 40 }, () => store().useOnce(key, T + 1000, T)));
    assert.equal(results.filter(Boolean).length, 1);
  });

  it('useOnce is atomic: 40 concurrent uses of an expired key, one wins', async () => {
    const key = id('use');
    await store().useOnce(key, T, T - 1000);
    const results = await Promise.all(Array.from({ length: 40 }, () => store().useOnce(key, T + 1000, T)));
    assert.equal(results.filter(Boolean).length, 1);
  });

  it('useOnce in one turn: new and expired keys win, live keys and repeats lose, each caller its own answer', async () => {
    const [live, expired] = [id('use'), id('use')];
    await store().useOnce(live, T + 1000, T - 1000);
    await store().useOnce(expired, T, T - 1000);
    const fresh = Array.from({ length: 50 }, () => id('use'));
    // Issued together, before any settles: the uses of one event-loop turn, written as one batch.
    const uses = [
      ...fresh.map((k) => store().useOnce(k, T + 1000, T)),
      store().useOnce(live, T + 1000, T),
      store().useOnce(expired, T + 1000, T),
      store().useOnce(fresh[7] as string, T + 1000, T),
      store().useOnce(expired, T + 1000, T),
    ];
    assert.deepEqual(await Promise.all(uses), [...fresh.map(() => true), false, true, false, false]);
    // What the batch stored: every new key is live until its own expiry, and the live key kept its.
    assert.equal(await store().useOnce(fresh[49] as string, T + 5000, T + 999), false);
    assert.equal(await store().useOnce(fresh[49] as string, T + 5000, T + 1000), true);
    assert.equal(await store().useOnce(live, T + 5000, T + 999), false);
    assert.equal(await store().useOnce(expired, T + 5000, T + 999), false);
  });

  if (openPeer) {
    it('useOnce is atomic across two stores on one database: of 80 uses of a key, one wins; of two batches, each key once', async () => {
      const peer = await openPeer();
      try {
        for (let round = 0; round < 5; round++) {
          const key = id('use');
          const results = await Promise.all(
            Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? store() : peer).useOnce(key, T + 1000, T)),
          );
          assert.equal(results.filter(Boolean).length, 1);
        }
        // Many keys at once, in opposite orders (PostgreSQL: row locks taken crosswise would deadlock).
        const keys = Array.from({ length: 100 }, () => id('use'));
        const [mine, theirs] = await Promise.all([
          Promise.all(keys.map((k) => store().useOnce(k, T + 1000, T))),
          Promise.all([...keys].reverse().map((k) => peer.useOnce(k, T + 1000, T))),
        ]);
        theirs.reverse();
        assert.deepEqual(
          keys.map((_, i) => Number(mine[i]) + Number(theirs[i])),
          keys.map(() => 1),
        );
        // And what one store spent, the other refuses.
        const key = id('use');
        assert.equal(await peer.useOnce(key, T + 1000, T), true);
        assert.equal(await store().useOnce(key, T + 1000, T + 500), false);
        assert.equal(await store().useOnce(key, T + 2000, T + 1000), true);
        assert.equal(await peer.useOnce(key, T + 2000, T + 1500), false);
      } finally {
        await peer.close();
      }
    });
  }
}

function purging(store: Get, purgesAll: boolean): void {
  // Times far before every other test's, so only this test's rows expire.
  it('removes and counts expired tokens (exp in s), revoked and used jtis (ms)', async () => {
    await store().purgeExpired(1_000_000);
    const c = client(id('c'));
    await store().insertClient(c, null);
    const gone = [opaqueToken(c.clientId, { iat: 50, exp: 100 }), opaqueToken(c.clientId, { iat: 50, exp: 150 })];
    const live = opaqueToken(c.clientId, { iat: 50, exp: 151 });
    for (const t of [...gone, live]) await store().insertOpaqueToken(t);
    const [r1, r2, r3] = [id('jti'), id('jti'), id('jti')];
    await store().revokeJti(r1, 100_000);
    await store().revokeJti(r2, 150_999);
    await store().revokeJti(r3, 151_000);
    const [u1, u2] = [id('use'), id('use')];
    await store().useOnce(u1, 150_999, 0);
    await store().useOnce(u2, 151_000, 0);

    // now = 150.999 s: tokens up to exp 150 and jtis up to 150999 ms have expired.
    assert.equal(await store().purgeExpired(150_999), purgesAll ? 5 : 4);
    assert.equal(await store().purgeExpired(150_999), 0);

    for (const t of gone) assert.equal(await store().getOpaqueToken(t.id), undefined);
    assert.deepEqual(await store().getOpaqueToken(live.id), live);
    if (purgesAll) {
      // Asked about an earlier time, a surviving row would still answer: these prove removal.
      assert.equal(await store().isJtiRevoked(r1, 0), false);
      assert.equal(await store().isJtiRevoked(r2, 0), false);
      assert.equal(await store().isJtiRevoked(r3, 0), true);
      assert.equal(await store().useOnce(u1, 200_000, 0), true);
      assert.equal(await store().useOnce(u2, 200_000, 0), false);
    }
  });
}

function lifecycle(store: Get, open: () => Promise<Store>): void {
  it('ping resolves while open', async () => {
    assert.equal(await store().ping(), undefined);
  });

  it('close ends the store and may be called twice', async () => {
    const other = await open();
    await other.ping();
    await other.close();
    await assert.rejects(other.ping());
    await other.close();
  });
}

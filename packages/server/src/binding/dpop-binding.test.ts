import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { InvalidDpopProof, toWire, UseDpopNonce } from '../errors/index.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { checkDpop, type DpopDeps, replayKey } from './dpop-binding.js';
import { DpopNonces } from './dpop-nonce.js';

const URL_ = 'https://as.example/oauth2/token';
const T = Date.UTC(2026, 11, 6, 12, 0, 0);

describe('checkDpop: proof, nonce, then the jti spent once', () => {
  const store = new SqliteStore(':memory:');
  after(() => store.close());
  let now = T;
  let key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let jwk: JWK;
  const nonces = new DpopNonces(randomBytes(32));
  const plain: DpopDeps = { replay: store, nonces: undefined, now: () => now };
  const withNonces: DpopDeps = { replay: store, nonces, now: () => now };

  before(async () => {
    const pair = await generateKeyPair('ES256');
    key = pair.privateKey;
    jwk = await exportJWK(pair.publicKey);
  });

  const proof = (claims: Record<string, unknown> = {}) =>
    new SignJWT({ jti: randomUUID(), htm: 'POST', htu: URL_, iat: Math.floor(now / 1000), ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .sign(key);
  const check = async (deps: DpopDeps, dpop: string) => checkDpop(deps, { dpop, method: 'POST', url: URL_ });

  it('binds to the thumbprint, without a nonce when none is required', async () => {
    const binding = await check(plain, await proof());
    assert.deepEqual(binding, { jkt: await calculateJwkThumbprint(jwk, 'sha256'), nonce: undefined });
  });

  it('refuses a proof used twice, on the wire as already used', async () => {
    const p = await proof();
    await check(plain, p);
    await assert.rejects(check(plain, p), (err: unknown) => {
      assert.ok(err instanceof InvalidDpopProof);
      assert.equal(err.reason, 'jti already used');
      assert.deepEqual(toWire(err).body, {
        error: 'invalid_dpop_proof',
        error_description: 'the DPoP proof was already used',
      });
      return true;
    });
  });

  it('keeps a jti spent for as long as its proof is accepted, and keys it by key and jti', async () => {
    const jti = randomUUID();
    const p = await proof({ jti });
    await check(plain, p);
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    assert.equal(
      await store.useOnce(replayKey(jkt, jti), T + 1000, T + 59_999),
      false,
      'still spent at iat + 59.999 s',
    );
    assert.ok(replayKey(jkt, jti).startsWith(`dpop:${jkt}:`));
    assert.notEqual(replayKey(jkt, jti), replayKey('another-key', jti));
  });

  it('asks for a nonce (use_dpop_nonce with a DPoP-Nonce header) and leaves the jti unspent', async () => {
    const jti = randomUUID();
    let issued = '';
    await assert.rejects(check(withNonces, await proof({ jti })), (err: unknown) => {
      assert.ok(err instanceof UseDpopNonce);
      assert.equal(err.reason, 'the proof has no nonce');
      issued = nonces.current(now);
      assert.deepEqual(toWire(err), {
        status: 400,
        headers: { 'dpop-nonce': issued },
        body: {
          error: 'use_dpop_nonce',
          error_description: 'a DPoP proof with the nonce in the DPoP-Nonce header is required',
        },
      });
      return true;
    });
    const binding = await check(withNonces, await proof({ jti, nonce: issued }));
    assert.equal(binding.nonce, nonces.current(now), 'a fresh nonce for the next request');
  });

  it('refuses a stale or foreign nonce with a fresh one', async () => {
    const stale = nonces.current(now - 120_000);
    await assert.rejects(check(withNonces, await proof({ nonce: stale })), (err: unknown) => {
      assert.ok(err instanceof UseDpopNonce);
      assert.equal(err.reason, 'stale or unknown nonce');
      assert.equal(err.headers['dpop-nonce'], nonces.current(now));
      return true;
    });
    const foreign = new DpopNonces(randomBytes(32)).current(now);
    await assert.rejects(check(withNonces, await proof({ nonce: foreign })), UseDpopNonce);
  });

  it('checks the proof before the nonce: a bad proof is invalid_dpop_proof, not use_dpop_nonce', async () => {
    await assert.rejects(check(withNonces, await proof({ htm: 'GET' })), InvalidDpopProof);
  });

  it('refuses with the moved clock: a proof a minute old is stale', async () => {
    const p = await proof();
    now += 61_000;
    try {
      await assert.rejects(
        check(plain, p),
        (err: unknown) => err instanceof InvalidDpopProof && err.reason === 'iat is too old',
      );
    } finally {
      now = T;
    }
  });
});

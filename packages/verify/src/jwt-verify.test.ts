import assert from 'node:assert/strict';
import { createHmac, createPublicKey, type KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { VerifyError, type VerifyErrorCode } from './errors.js';
import { generateTestKey, type LocalIssuer, signJwt, startLocalIssuer } from './testing/local-issuer.js';
import { createVerifier, type Verifier, type VerifierOptions } from './verifier.js';

const NOW = 1_800_000_000;

async function rejects(promise: Promise<unknown>, code: VerifyErrorCode): Promise<VerifyError> {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof VerifyError, String(err));
  assert.equal(err.code, code, err.message);
  return err;
}

describe('JWT access token checks (RFC 9068 §4, RFC 8725)', () => {
  let iss: LocalIssuer;
  let clockMs = NOW * 1000;
  let verifier: Verifier;
  const make = (options: Partial<VerifierOptions> = {}) =>
    createVerifier({ issuer: iss.issuer, audience: 'calendar', clock: () => clockMs, ...options });
  const token = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    signJwt(iss.keys[0] as never, iss.claims(claims, NOW), header);

  before(async () => {
    iss = await startLocalIssuer();
    verifier = make();
  });
  after(() => iss.close());

  it('verifies a valid token into a typed result', async () => {
    const t = token({ aud: ['calendar', 'files'], extra: 'x' });
    const result = await verifier.verify(t, { scope: 'event.view' });
    assert.equal(result.clientId, 'task-service');
    assert.equal(result.subject, 'task-service');
    assert.deepEqual(result.scopes, ['event.view', 'event.create']);
    assert.deepEqual(result.audience, ['calendar', 'files']);
    assert.equal(result.issuer, iss.issuer);
    assert.equal(result.format, 'jwt');
    assert.equal(result.expiresAt.getTime(), (NOW + 3600) * 1000);
    assert.equal(result.claims.extra, 'x');
  });

  it('answers a token seen before from the cache, synchronously, until exp', async () => {
    const t = token({ exp: NOW + 100 });
    const first = await verifier.verify(t);
    assert.equal(verifier.verifySync(t), first);
    clockMs = (NOW + 100 + 30) * 1000;
    assert.throws(() => verifier.verifySync(t), { code: 'token_expired' });
    clockMs = NOW * 1000;
  });

  it('shares a cached result no caller can change: it and its arrays are frozen', async () => {
    const t = token({ scope: undefined, scp: ['event.view'] });
    const first = await verifier.verify(t);
    assert.throws(() => (first.scopes as string[]).push('admin'), TypeError);
    assert.throws(() => (first.audience as string[]).push('elsewhere'), TypeError);
    assert.throws(() => Object.assign(first, { clientId: 'someone-else' }), TypeError);
    assert.deepEqual(verifier.verifySync(t, { scope: 'event.view' })?.scopes, ['event.view']);
    assert.throws(() => verifier.verifySync(t, { scope: 'admin' }), { code: 'insufficient_scope' });
  });

  it('answers from the cache only for the very token verified, not for one ending alike', async () => {
    const t = token({ exp: NOW + 100 });
    const first = await verifier.verify(t);
    const [h, p, s] = t.split('.') as [string, string, string];
    // Same signature, so the same end and cache slot, but another payload.
    const forged = Buffer.from(JSON.stringify(iss.claims({ scope: 'admin', exp: NOW + 100 }, NOW))).toString(
      'base64url',
    );
    await rejects(verifier.verify(`${h}.${forged}.${s}`), 'signature_invalid');
    await rejects(verifier.verify(`${h}.${p}x.${s}`), 'signature_invalid');
    assert.equal(verifier.verifySync(t), first, 'the failed attempts did not displace it');
    // A new string with the same content is the same token.
    assert.equal(verifier.verifySync(Buffer.from(t, 'latin1').toString('latin1')), first);
  });

  it('refuses alg none, HS256 keyed with the public key, and an alg the key does not have', async () => {
    const claims = Buffer.from(JSON.stringify(iss.claims({}, NOW))).toString('base64url');
    const header = (h: object) => Buffer.from(JSON.stringify(h)).toString('base64url');
    const kid = iss.keys[0]?.kid;
    await rejects(verifier.verify(`${header({ alg: 'none', typ: 'at+jwt', kid })}.${claims}.`), 'alg_not_allowed');
    const publicPem = createPublicKey(iss.keys[0]?.privateKey as KeyObject).export({ format: 'pem', type: 'spki' });
    const input = `${header({ alg: 'HS256', typ: 'at+jwt', kid })}.${claims}`;
    const mac = createHmac('sha256', publicPem).update(input).digest('base64url');
    await rejects(verifier.verify(`${input}.${mac}`), 'alg_not_allowed');
    await rejects(verifier.verify(token({}, { alg: 'RS384' })), 'alg_not_allowed');
    await rejects(verifier.verify(token({}, { alg: 'PS256' })), 'alg_not_allowed');
  });

  it('checks typ: at+jwt or application/at+jwt, any case', async () => {
    await verifier.verify(token({}, { typ: 'application/AT+JWT' }));
    await verifier.verify(token({}, { typ: 'AT+JWT' }));
    await rejects(verifier.verify(token({}, { typ: 'JWT' })), 'typ_invalid');
    await rejects(verifier.verify(token({}, { typ: undefined })), 'typ_invalid');
  });

  it('checks issuer, audience and required claims', async () => {
    await rejects(verifier.verify(token({ iss: 'https://evil.example' })), 'issuer_mismatch');
    await rejects(verifier.verify(token({ aud: 'files' })), 'audience_mismatch');
    await rejects(verifier.verify(token({ aud: ['files', 'tasks'] })), 'audience_mismatch');
    await rejects(verifier.verify(token({ aud: undefined })), 'audience_mismatch');
    await rejects(verifier.verify(token({ client_id: undefined })), 'claim_invalid');
    await rejects(verifier.verify(token({ exp: String(NOW + 10) })), 'claim_invalid');
    const multi = createVerifier({ issuer: iss.issuer, audience: ['tasks', 'calendar'], clock: () => clockMs });
    assert.equal((await multi.verify(token())).clientId, 'task-service');
  });

  it('checks exp and nbf with the configured clock tolerance', async () => {
    await rejects(verifier.verify(token({ exp: NOW - 31 })), 'token_expired');
    await verifier.verify(token({ exp: NOW - 29 }));
    await rejects(verifier.verify(token({ nbf: NOW + 31 })), 'token_not_yet_valid');
    await verifier.verify(token({ nbf: NOW + 29 }));
    const strict = make({ clockToleranceSec: 0 });
    await rejects(strict.verify(token({ exp: NOW })), 'token_expired');
    await rejects(strict.verify(token({ nbf: NOW + 1 })), 'token_not_yet_valid');
  });

  it('checks required scopes from scope or scp', async () => {
    const err = await rejects(verifier.verify(token(), { scope: 'event.view event.delete' }), 'insufficient_scope');
    assert.deepEqual(err.requiredScopes, ['event.view', 'event.delete']);
    const scp = token({ scope: undefined, scp: ['event.view'] });
    assert.deepEqual((await verifier.verify(scp, { scope: ['event.view'] })).scopes, ['event.view']);
    await rejects(verifier.verify(scp, { scope: 'event.create' }), 'insufficient_scope');
  });

  it('splits scope on single spaces, dropping empty items, and reads scp arrays as they are', async () => {
    const scopes = async (claims: Record<string, unknown>) => (await verifier.verify(token(claims))).scopes;
    assert.deepEqual(await scopes({ scope: '  event.view   event.create ' }), ['event.view', 'event.create']);
    assert.deepEqual(await scopes({ scope: 'event.view' }), ['event.view']);
    assert.deepEqual(await scopes({ scope: '' }), []);
    assert.deepEqual(await scopes({ scope: ' ' }), []);
    assert.deepEqual(await scopes({ scope: undefined, scp: 'a b' }), ['a', 'b']);
    assert.deepEqual(await scopes({ scope: undefined, scp: undefined }), []);
    await rejects(verifier.verify(token({ scope: 7 })), 'claim_invalid');
    await rejects(verifier.verify(token({ scope: undefined, scp: ['a', 1] })), 'claim_invalid');
  });

  it('verifies tokens of any length up to the limit, one after another', async () => {
    // Larger than the verifier's first working buffer, then small again, then tampered.
    const big = token({ extra: 'x'.repeat(9_000) });
    const small = token();
    assert.equal((await verifier.verify(big)).claims.extra, 'x'.repeat(9_000));
    assert.equal((await verifier.verify(small)).clientId, 'task-service');
    assert.equal((await verifier.verify(big)).clientId, 'task-service');
    const [h, p, s] = big.split('.') as [string, string, string];
    await rejects(verifier.verify(`${h}.${p.slice(0, -2)}AA.${s}`), 'signature_invalid');
    await rejects(verifier.verify(`${h}.${p}.${s.slice(0, -2)}AA`), 'signature_invalid');
    await rejects(verifier.verify(token({ extra: 'x'.repeat(20_000) })), 'token_malformed');
    // A signature longer than any key's (RSA 8192 bits is 1,366 characters) is refused, not cut short.
    await rejects(verifier.verify(`${h}.${p}.${s}${'A'.repeat(2_000)}`), 'signature_invalid');
    assert.equal((await verifier.verify(small)).clientId, 'task-service');
  });

  it('refuses tampered and malformed tokens', async () => {
    const t = token();
    const [h, p, s] = t.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify(iss.claims({ scope: 'admin' }, NOW))).toString('base64url');
    await rejects(verifier.verify(`${h}.${forged}.${s}`), 'signature_invalid');
    await rejects(verifier.verify(`${h}.${p}.${s.slice(0, -4)}AAAA`), 'signature_invalid');
    await rejects(verifier.verify(`${h}.${p}.`), 'token_malformed');
    for (const bad of ['', 'abc', 'a.b', 'a.b.c.d', `x${h}.${p}.${s}`, `${h}.${p}`]) {
      await rejects(verifier.verify(bad), 'token_malformed');
    }
    await rejects(verifier.verify(token({}, { crit: ['b64'], b64: false })), 'token_malformed');
    await rejects(verifier.verify('x'.repeat(20_000)), 'token_malformed');
  });

  it('refuses a token not in canonical base64url, though Node decodes it to the same bytes', async () => {
    const t = token();
    const [h, p, s] = t.split('.') as [string, string, string];
    // RS256: 256 bytes are 342 characters, the last with 4 unused bits.
    assert.equal(s.length % 4, 2);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const unusedBitSet = alphabet[alphabet.indexOf(s.at(-1) as string) ^ 1];
    const at = (x: string, i: number, c: string) => `${x.slice(0, i)}${c}${x.slice(i)}`;
    const signatures = [
      at(s, 100, '!'),
      at(s, 100, ' '),
      at(s, 100, '\n'),
      at(s, 100, '\u00e9'),
      `${s}==`,
      s.replace(/[-_]/, (c) => (c === '-' ? '+' : '/')),
      `${s.slice(0, -1)}${unusedBitSet}`,
    ];
    for (const bad of signatures) {
      assert.deepEqual(Buffer.from(bad, 'base64url'), Buffer.from(s, 'base64url'));
      await rejects(verifier.verify(`${h}.${p}.${bad}`), 'token_malformed');
    }
    await rejects(verifier.verify(`${at(h, 4, '=')}.${p}.${s}`), 'token_malformed');
    await rejects(verifier.verify(`${h}.${at(p, 8, ' ')}.${s}`), 'token_malformed');
    assert.equal((await verifier.verify(t)).clientId, 'task-service');
  });
});

describe('algorithms come from the key', () => {
  for (const alg of ['PS256', 'ES256', 'ES384', 'EdDSA'] as const) {
    it(`verifies ${alg}`, async () => {
      const iss = await startLocalIssuer({ keys: [generateTestKey(alg)] });
      try {
        const verifier = createVerifier({ issuer: iss.issuer, audience: 'calendar' });
        assert.equal((await verifier.verify(iss.token())).clientId, 'task-service');
        await rejects(verifier.verify(iss.token({}, { alg: 'RS256' })), 'alg_not_allowed');
      } finally {
        await iss.close();
      }
    });
  }

  it('verifies tokens of keys with different signature lengths, in turn', async () => {
    const keys = [generateTestKey('RS256', 'rsa'), generateTestKey('ES256', 'ec'), generateTestKey('EdDSA', 'ed')];
    const iss = await startLocalIssuer({ keys });
    try {
      const verifier = createVerifier({ issuer: iss.issuer, audience: 'calendar', cacheSize: 0 });
      for (let round = 0; round < 3; round++) {
        for (const key of keys) {
          assert.equal((await verifier.verify(iss.token({}, {}, key))).clientId, 'task-service');
          const [h, p, s] = iss.token({}, {}, key).split('.') as [string, string, string];
          await rejects(verifier.verify(`${h}.${p}.${s.slice(0, -4)}AAAA`), 'signature_invalid');
        }
      }
    } finally {
      await iss.close();
    }
  });

  it('narrows by kty when the JWK has no alg, and ignores unusable keys', async () => {
    const rsa = generateTestKey('RS256', 'rsa');
    delete rsa.jwk.alg;
    const enc = generateTestKey('RS256', 'enc');
    enc.jwk.use = 'enc';
    const iss = await startLocalIssuer({
      keys: [rsa, enc, { ...rsa, kid: 'oct', jwk: { kty: 'oct', k: 'c2VjcmV0', kid: 'oct' } }],
    });
    try {
      const verifier = createVerifier({ issuer: iss.issuer, audience: 'calendar' });
      await verifier.verify(iss.token());
      await verifier.verify(iss.token({}, { alg: 'PS256' }, { ...rsa, alg: 'PS256' }));
      await rejects(verifier.verify(iss.token({}, { alg: 'ES256' })), 'alg_not_allowed');
      await rejects(verifier.verify(iss.token({}, {}, enc)), 'kid_unknown');
      await rejects(verifier.verify(iss.token({}, { alg: 'HS256', kid: 'oct' })), 'alg_not_allowed');
    } finally {
      await iss.close();
    }
  });
});

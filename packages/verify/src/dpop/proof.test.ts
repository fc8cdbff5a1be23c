import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { VerifyError } from '../errors.js';
import { type DpopKey, dpopKey, proof } from '../testing/dpop.js';
import { DEFAULT_DPOP_ALGS, DpopProofChecker, sameResource } from './proof.js';

const URL_ = 'https://calendar.example/events';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
const checker = () =>
  new DpopProofChecker({ algs: DEFAULT_DPOP_ALGS, iatWindowSec: 60, futureSkewSec: 5, maxLength: 8192 });
const check = (c: DpopProofChecker, p: string | undefined, overrides: { method?: string; url?: string } = {}) =>
  c.check({ proof: p, method: overrides.method ?? 'GET', url: overrides.url ?? URL_, accessToken: TOKEN }, Date.now());
const code = (r: unknown) => (r instanceof VerifyError ? r.code : 'ok');
const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('DPoP proof checks (RFC 9449 §4.3)', () => {
  let key: DpopKey;
  it('accepts a valid proof from ES256, EdDSA and PS256 keys, giving the key thumbprint', async () => {
    for (const alg of ['ES256', 'EdDSA', 'PS256'] as const) {
      key = await dpopKey(alg);
      const c = checker();
      const p = await proof(key, { htu: URL_, accessToken: TOKEN, claims: { nonce: 'n-1' } });
      const result = check(c, p);
      assert.ok(!(result instanceof VerifyError), `${alg}: ${code(result)}`);
      assert.equal(result.jkt, key.jkt);
      assert.equal(result.nonce, 'n-1');
      // The second proof of one key takes the remembered header.
      assert.equal(code(check(c, await proof(key, { htu: URL_, accessToken: TOKEN }))), 'ok');
    }
  });

  it('refuses every malformed proof with invalid_dpop_proof, never a throw', async () => {
    key = await dpopKey('ES256');
    const c = checker();
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, Promise<string> | string, string][] = [
      ['missing', '', 'dpop_proof_missing'],
      ['garbage', 'not a jwt', 'dpop_proof_invalid'],
      ['two headers', `${await proof(key, { htu: URL_, accessToken: TOKEN })}, x.y.z`, 'dpop_proof_invalid'],
      ['typ JWT', proof(key, { htu: URL_, accessToken: TOKEN, header: { typ: 'JWT' } }), 'dpop_proof_invalid'],
      ['no jwk', proof(key, { htu: URL_, accessToken: TOKEN, header: { jwk: undefined } }), 'dpop_proof_invalid'],
      ['future iat', proof(key, { htu: URL_, accessToken: TOKEN, iat: now + 60 }), 'dpop_proof_expired'],
      ['stale iat', proof(key, { htu: URL_, accessToken: TOKEN, iat: now - 61 }), 'dpop_proof_expired'],
      [
        'another endpoint',
        proof(key, { htu: 'https://calendar.example/other', accessToken: TOKEN }),
        'dpop_proof_mismatch',
      ],
      ['another method', proof(key, { htm: 'POST', htu: URL_, accessToken: TOKEN }), 'dpop_proof_mismatch'],
      ['no ath', proof(key, { htu: URL_ }), 'dpop_proof_mismatch'],
      ['ath of another token', proof(key, { htu: URL_, accessToken: `${TOKEN}x` }), 'dpop_proof_mismatch'],
      ['no jti', proof(key, { htu: URL_, accessToken: TOKEN, claims: { jti: undefined } }), 'dpop_proof_invalid'],
      [
        'iat a string',
        proof(key, { htu: URL_, accessToken: TOKEN, claims: { iat: String(now) } }),
        'dpop_proof_invalid',
      ],
      ['oversized', `${'a'.repeat(9000)}.b.c`, 'dpop_proof_invalid'],
    ];
    for (const [name, p, expected] of cases) assert.equal(code(check(c, await p)), expected, name);
  });

  it('refuses alg none, HMAC, a private key in jwk, a tampered signature, an algorithm off the list', async () => {
    key = await dpopKey('ES256');
    const c = checker();
    const claims = { jti: 'j', htm: 'GET', htu: URL_, iat: Math.floor(Date.now() / 1000) };
    const none = `${enc({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk })}.${enc(claims)}.`;
    assert.equal(code(check(c, none)), 'dpop_proof_invalid');
    const hsInput = `${enc({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: 'c2VjcmV0' } })}.${enc(claims)}`;
    const hs = `${hsInput}.${createHmac('sha256', 'secret').update(hsInput).digest('base64url')}`;
    assert.equal(code(check(c, hs)), 'dpop_alg_not_allowed');
    const privateJwk = key.privateKey.export({ format: 'jwk' });
    const leaked = await proof(key, { htu: URL_, accessToken: TOKEN, header: { jwk: privateJwk } });
    assert.equal(code(check(c, leaked)), 'dpop_proof_invalid');
    const good = await proof(key, { htu: URL_, accessToken: TOKEN });
    const tampered = `${good.slice(0, good.lastIndexOf('.') + 1)}${'A'.repeat(86)}`;
    assert.equal(code(check(c, tampered)), 'dpop_proof_invalid');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const wrongKey = await proof(key, { htu: URL_, accessToken: TOKEN, header: { jwk: other } });
    assert.equal(code(check(c, wrongKey)), 'dpop_proof_invalid', 'signed by another key than the one in jwk');
    const esOnly = new DpopProofChecker({ algs: ['PS256'], iatWindowSec: 60, futureSkewSec: 5, maxLength: 8192 });
    assert.equal(code(check(esOnly, good)), 'dpop_alg_not_allowed');
  });

  it('compares htu without query and fragment, after normalisation', () => {
    assert.ok(sameResource('https://calendar.example/events', 'https://calendar.example/events?x=1'));
    assert.ok(sameResource('https://Calendar.EXAMPLE:443/events', 'https://calendar.example/events'));
    assert.ok(sameResource('https://calendar.example/events#frag', 'https://calendar.example/events'));
    assert.ok(!sameResource('https://calendar.example/events/1', 'https://calendar.example/events'));
    assert.ok(!sameResource('http://calendar.example/events', 'https://calendar.example/events'));
    assert.ok(!sameResource('not a url', 'https://calendar.example/events'));
  });
});

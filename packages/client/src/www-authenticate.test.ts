import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDpopNonceChallenge, isInvalidTokenChallenge, parseWwwAuthenticate } from './www-authenticate.js';

describe('WWW-Authenticate', () => {
  it('reads several challenges, quoted commas and escapes', () => {
    assert.deepEqual(parseWwwAuthenticate('DPoP algs="ES256 PS256", Bearer realm="a, b", error="invalid_token"'), [
      { scheme: 'dpop', params: { algs: 'ES256 PS256' } },
      { scheme: 'bearer', params: { realm: 'a, b', error: 'invalid_token' } },
    ]);
    assert.deepEqual(parseWwwAuthenticate('Newauth title="say \\"hi\\"", Basic abc==, Bearer'), [
      { scheme: 'newauth', params: { title: 'say "hi"' } },
      { scheme: 'basic', params: {} },
      { scheme: 'bearer', params: {} },
    ]);
  });

  it('recognises only a Bearer invalid_token challenge', () => {
    assert.equal(isInvalidTokenChallenge('Bearer error="invalid_token", error_description="expired"'), true);
    assert.equal(isInvalidTokenChallenge('bearer error=invalid_token'), true);
    assert.equal(isInvalidTokenChallenge('Bearer error="insufficient_scope"'), false);
    assert.equal(isInvalidTokenChallenge('Bearer realm="x"'), false);
    assert.equal(isInvalidTokenChallenge('DPoP error="invalid_token"'), false);
    assert.equal(isInvalidTokenChallenge('DPoP error="invalid_token"', 'dpop'), true);
    assert.equal(isInvalidTokenChallenge('Bearer error="invalid_token"', 'dpop'), false);
    assert.equal(isDpopNonceChallenge('Bearer, DPoP error="use_dpop_nonce", algs="ES256"'), true);
    assert.equal(isDpopNonceChallenge('Bearer error="use_dpop_nonce"'), false);
    assert.equal(isInvalidTokenChallenge(null), false);
  });
});

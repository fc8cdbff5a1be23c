import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { isCanonicalBase64url, isCanonicalCompactJws } from './base64url.js';

it('accepts what Buffer writes as base64url, for every length remainder', () => {
  for (let n = 0; n < 70; n++) {
    const s = randomBytes(n).toString('base64url');
    assert.ok(isCanonicalBase64url(s), s);
    assert.ok(isCanonicalBase64url(`..${s}.`, 2, s.length + 2), 'a range inside a longer string');
  }
});

it('refuses padding, whitespace, other characters, a lone sixth bit group and unused bits set', () => {
  for (const s of ['QQ==', 'QQ=', 'Q Q', 'QQ\n', 'Q+', 'Q/', 'Q!', 'QÉ', 'QUJDR', 'QR', 'A']) {
    assert.ok(!isCanonicalBase64url(s), JSON.stringify(s));
  }
  // 'QQ' and 'QUE' are canonical; 'QR' and 'QUF' decode to the same bytes with unused bits set.
  assert.ok(isCanonicalBase64url('QQ') && isCanonicalBase64url('QUE'));
  assert.ok(!isCanonicalBase64url('QUF'));
});

it('takes a JWS as exactly three canonical parts', () => {
  assert.ok(isCanonicalCompactJws('eyJh.eyJi.c2ln'));
  assert.ok(isCanonicalCompactJws('eyJh.eyJi.'), 'an empty signature is still base64url; the verifier refuses it');
  for (const t of ['eyJh.eyJi', 'eyJh.eyJi.c2ln.', 'eyJh.eyJi.c2ln=', 'eyJh .eyJi.c2ln', '']) {
    assert.ok(!isCanonicalCompactJws(t), t);
  }
});

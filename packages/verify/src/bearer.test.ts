import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractBearer } from './bearer.js';

const invalid = (description: string) => ({ kind: 'invalid_request', description });

describe('extractBearer (RFC 6750 §2.1)', () => {
  it('reads the token, scheme case-insensitive', () => {
    assert.equal(extractBearer({ authorization: 'Bearer abc.DEF-_~+/=' }), 'abc.DEF-_~+/=');
    assert.equal(extractBearer({ authorization: 'bearer abc' }), 'abc');
  });

  it('treats no header, or another scheme alone, as no credentials', () => {
    assert.deepEqual(extractBearer({ authorization: undefined }), { kind: 'missing' });
    assert.deepEqual(extractBearer({ authorization: 'Basic dXNlcjpwYXNz' }), { kind: 'missing' });
  });

  it('refuses malformed headers', () => {
    assert.deepEqual(extractBearer({ authorization: 'Bearer' }), invalid('The bearer token is empty'));
    assert.deepEqual(extractBearer({ authorization: 'Bearer   ' }), invalid('The bearer token is empty'));
    assert.deepEqual(
      extractBearer({ authorization: 'Bearer abc, Basic xyz' }),
      invalid('The Authorization header holds more than one credential'),
    );
    assert.deepEqual(
      extractBearer({ authorization: 'Basic xyz, Bearer abc' }),
      invalid('The Authorization header has more than one scheme'),
    );
    assert.deepEqual(extractBearer({ authorization: 'Bearer a"b' }), invalid('The Authorization header is malformed'));
    assert.deepEqual(
      extractBearer({
        authorization: 'Bearer a',
        rawHeaders: ['Authorization', 'Bearer a', 'authorization', 'Bearer b'],
      }),
      invalid('More than one Authorization header was sent'),
    );
  });

  it('refuses a token in the query', () => {
    assert.deepEqual(
      extractBearer({ authorization: 'Bearer a', url: '/x?access_token=a' }),
      invalid('The access token was sent in more than one way'),
    );
    assert.deepEqual(
      extractBearer({ authorization: undefined, url: '/x?access_token=a' }),
      invalid('Send the access token in the Authorization header, not the query'),
    );
    assert.equal(extractBearer({ authorization: 'Bearer a', url: '/x?not_access_token=1' }), 'a');
  });
});

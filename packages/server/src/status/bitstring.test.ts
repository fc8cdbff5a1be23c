import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { encodeStatusList } from './bitstring.js';

const decode = (lst: string) => inflateSync(Buffer.from(lst, 'base64url'));

describe('encodeStatusList', () => {
  it('puts index 0 at the least significant bit of byte 0 (the draft’s example)', () => {
    // draft-ietf-oauth-status-list §4.1: statuses 1,0,0,1,1,1,0,1 | 1,1,0,0,0,1,0,1 → 0xB9 0xA3.
    const revoked = [0, 3, 4, 5, 7, 8, 9, 13, 15];
    assert.deepEqual([...decode(encodeStatusList({ size: 16, revoked, revokedBlocks: [] }))], [0xb9, 0xa3]);
  });

  it('sets whole blocks, rounds the length up to a byte, ignores indexes past the end', () => {
    const bytes = decode(encodeStatusList({ size: 20, revoked: [19, 20, 500], revokedBlocks: [[8, 8]] }));
    assert.deepEqual([...bytes], [0, 0xff, 0x08]);
  });

  it('is zlib (RFC 1950) in base64url, and an empty list is one zero byte', () => {
    const lst = encodeStatusList({ size: 0, revoked: [], revokedBlocks: [] });
    assert.match(lst, /^[A-Za-z0-9_-]+$/);
    assert.equal(Buffer.from(lst, 'base64url')[0], 0x78);
    assert.deepEqual([...decode(lst)], [0]);
  });

  it('keeps a large, mostly valid list small on the wire', () => {
    const lst = encodeStatusList({ size: 1 << 20, revoked: [12345], revokedBlocks: [] });
    assert.ok(lst.length < 400, String(lst.length));
    assert.equal(decode(lst).length, 1 << 17);
  });
});

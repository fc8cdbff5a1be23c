import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkSecretStrength, estimatedBits, MIN_SECRET_BITS } from './secret-strength.js';

describe('imported secret strength', () => {
  it('refuses runs, sequences and repeats however long', () => {
    for (const weak of [
      'a'.repeat(32),
      'a'.repeat(512),
      'abc'.repeat(11),
      '0123456789'.repeat(4),
      '0123456789abcdefghijklmnopqrstuvwxyz',
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
      'aabbccddeeffgghhiijjkkllmmnnoopp',
      '02468acegikmoqsuwy02468acegikmoqsuwy',
      'Password1234567890123456789012345',
      'ab'.repeat(64),
    ]) {
      assert.ok(estimatedBits(weak) < MIN_SECRET_BITS, weak);
      assert.throws(() => checkSecretStrength(weak), { code: 'invalid_client_metadata' }, weak);
    }
  });

  it('accepts random strings of 32 characters and more (openssl rand -base64 24, base64url, hex, UUIDs)', () => {
    // 200,000 tries each (scratch): 32 hex characters (128 random bits) never scored under 88 bits, a UUID under 108.
    for (let i = 0; i < 500; i++) {
      for (const s of [
        randomBytes(24).toString('base64'),
        randomBytes(24).toString('base64url'),
        randomBytes(16).toString('hex'),
        randomBytes(20).toString('hex'),
        randomBytes(32).toString('hex'),
        randomUUID(),
      ]) {
        assert.doesNotThrow(() => checkSecretStrength(s), s);
      }
    }
  });

  it('says how far off a refused secret is, in the RFC 6749 §5.2 charset', () => {
    assert.throws(
      () => checkSecretStrength('a'.repeat(32)),
      (err: { description: string }) => {
        assert.match(err.description, /^client_secret: too predictable \(about 0 bits estimated, at least 72 needed\)/);
        assert.doesNotMatch(err.description, /["\\]/);
        return true;
      },
    );
  });
});

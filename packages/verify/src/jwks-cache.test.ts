import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { VerifyError } from './errors.js';
import { generateTestKey, startLocalIssuer } from './testing/local-issuer.js';
import { createVerifier } from './verifier.js';

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof VerifyError ? e.code : String(e)),
  );

describe('JWKS cache', () => {
  it('shares one discovery and one JWKS fetch between concurrent first requests', async () => {
    const iss = await startLocalIssuer();
    try {
      const verifier = createVerifier({ issuer: iss.issuer, audience: 'calendar' });
      const results = await Promise.all(Array.from({ length: 20 }, () => code(verifier.verify(iss.token()))));
      assert.deepEqual(new Set(results), new Set(['ok']));
      assert.equal(iss.jwksFetches, 1);
      assert.equal(iss.metadataFetches, 1);
    } finally {
      await iss.close();
    }
  });

  it('picks up a rotated key after the cooldown, and a flood of bogus kids costs one fetch per cooldown', async () => {
    const iss = await startLocalIssuer();
    let now = Date.now();
    try {
      const verifier = createVerifier({ issuer: iss.issuer, audience: 'calendar', clock: () => now });
      await verifier.verify(iss.token());
      assert.equal(iss.jwksFetches, 1);
      const bogus = await Promise.all(
        Array.from({ length: 50 }, () => code(verifier.verify(iss.token({}, { kid: randomUUID() })))),
      );
      assert.deepEqual(new Set(bogus), new Set(['kid_unknown']));
      assert.equal(iss.jwksFetches, 1, 'still inside the cooldown of the first fetch');

      const next = generateTestKey('RS256');
      iss.keys.push(next);
      assert.equal(await code(verifier.verify(iss.token({}, {}, next))), 'kid_unknown');
      now += 5_000;
      assert.equal(await code(verifier.verify(iss.token({}, {}, next))), 'ok');
      assert.equal(iss.jwksFetches, 2);
      await Promise.all(
        Array.from({ length: 50 }, () => verifier.verify(iss.token({}, { kid: randomUUID() })).catch(() => {})),
      );
      assert.equal(iss.jwksFetches, 2);
      now += 5_000;
      await Promise.all(
        Array.from({ length: 50 }, () => verifier.verify(iss.token({}, { kid: randomUUID() })).catch(() => {})),
      );
      assert.equal(iss.jwksFetches, 3, 'one refetch for the whole flood');
    } finally {
      await iss.close();
    }
  });

  it('keeps serving cached keys when the JWKS endpoint is down past the max age', async () => {
    const iss = await startLocalIssuer();
    let now = Date.now();
    try {
      const verifier = createVerifier({ issuer: iss.issuer, audience: 'calendar', clock: () => now, cacheSize: 0 });
      await verifier.verify(iss.token());
      iss.jwksState = 'down';
      now += 11 * 60_000;
      assert.equal(await code(verifier.verify(iss.token())), 'ok');
      // The refresh runs in the background: wait until the issuer has seen it.
      for (let i = 0; i < 400 && iss.jwksFetches < 2; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(iss.jwksFetches, 2, 'a background refresh was tried');
      assert.equal(await code(verifier.verify(iss.token())), 'ok');
      assert.equal(await code(verifier.verify(iss.token({}, { kid: 'unknown' }))), 'kid_unknown');
    } finally {
      await iss.close();
    }
  });

  it('drops keys the issuer withdrew, and the tokens verified with them', async () => {
    const iss = await startLocalIssuer();
    let now = Date.now();
    try {
      const verifier = createVerifier({ issuer: iss.issuer, audience: 'calendar', clock: () => now });
      const old = iss.token();
      await verifier.verify(old);
      iss.keys = [generateTestKey('RS256')];
      now += 11 * 60_000;
      await verifier.verify(iss.token());
      assert.equal(await code(verifier.verify(old)), 'kid_unknown');
    } finally {
      await iss.close();
    }
  });

  it('fails fast with jwks_unavailable when no keys were ever fetched', async () => {
    const iss = await startLocalIssuer();
    try {
      iss.jwksState = 'hang';
      const verifier = createVerifier({ issuer: iss.issuer, audience: 'calendar', timeoutMs: 200 });
      const started = Date.now();
      assert.equal(await code(verifier.verify(iss.token())), 'jwks_unavailable');
      assert.ok(Date.now() - started < 2_000);
      iss.jwksState = 'down';
      // Inside the cooldown the issuer is not asked again.
      const fetches = iss.jwksFetches;
      assert.equal(await code(verifier.verify(iss.token())), 'jwks_unavailable');
      assert.equal(iss.jwksFetches, fetches);
    } finally {
      await iss.close();
    }
  });

  it('uses a jwksUri given directly, without discovery', async () => {
    const iss = await startLocalIssuer();
    try {
      const verifier = createVerifier({ issuer: iss.issuer, audience: 'calendar', jwksUri: `${iss.issuer}/jwks` });
      await verifier.verify(iss.token());
      assert.equal(iss.metadataFetches, 0);
    } finally {
      await iss.close();
    }
  });
});

describe('discovery', () => {
  it('falls back to openid-configuration', async () => {
    const iss = await startLocalIssuer();
    try {
      iss.oauthMetadata = false;
      const verifier = createVerifier({ issuer: iss.issuer, audience: 'calendar' });
      await verifier.verify(iss.token());
      assert.equal(iss.metadataFetches, 2);
    } finally {
      await iss.close();
    }
  });

  it('refuses metadata that names another issuer', async () => {
    const iss = await startLocalIssuer();
    try {
      iss.metadata = { issuer: 'https://evil.example' };
      const verifier = createVerifier({ issuer: iss.issuer, audience: 'calendar' });
      const err = await verifier.verify(iss.token()).catch((e: VerifyError) => e);
      assert.ok(err instanceof VerifyError);
      assert.equal(err.code, 'discovery_failed');
      assert.equal(err.kind, 'unavailable');
    } finally {
      await iss.close();
    }
  });
});

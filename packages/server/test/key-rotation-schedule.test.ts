import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic, decodeJwt, type Harness, startHarness } from './harness.js';

const DAY = 24 * 3600;

describe('scheduled signing-key rotation (TESSERA_KEY_ROTATION_DAYS=10)', () => {
  let h: Harness;
  let c: { client_id: string; client_secret: string };
  before(async () => {
    h = await startHarness({}, { TESSERA_KEY_ROTATION_DAYS: '10' });
    c = await h.createClient({ scope: 'a', access_token_ttl: 600 });
  });
  after(() => h.close());

  const kids = async () =>
    (await h.inject({ method: 'GET', url: '/.well-known/jwks.json' }))
      .json()
      .keys.map((k: { kid: string }) => k.kid) as string[];
  const signingKid = async () => {
    const r = await h.token(
      { grant_type: 'client_credentials' },
      { authorization: basic(c.client_id, c.client_secret) },
    );
    return decodeJwt(r.json().access_token).header.kid as string;
  };

  it('publishes the next key a day early, signs with it on time, and drops the old one after its last token', async () => {
    const [first] = await kids();
    assert.equal((await kids()).length, 1);
    const nextRotation = async () => (await h.admin('GET', '/admin/keys')).json().next_rotation_at;
    const started = Math.floor(h.clock.ms / 1000);
    assert.equal(await nextRotation(), started + 10 * DAY, 'a period after the first key began signing');

    h.clock.advance(9 * DAY - 60);
    assert.equal(await h.tessera.keySchedule.tick(), undefined, 'not due yet');
    assert.deepEqual(await kids(), [first]);

    // Phase 1: a day before the period ends, the next key is published but does not sign.
    h.clock.advance(60);
    const next = await h.tessera.keySchedule.tick();
    assert.ok(next?.kid);
    assert.deepEqual((await kids()).sort(), [first, next.kid].sort());
    assert.equal(await signingKid(), first);
    assert.equal(await h.tessera.keySchedule.tick(), undefined, 'one scheduled key at a time');
    assert.equal(await nextRotation(), started + 10 * DAY, 'the published next key’s activation');
    h.clock.advance(DAY - 1);
    assert.equal(await signingKid(), first, 'still the old key one second before');

    // Phase 2: on time, the new key signs (no reload, no store read).
    h.clock.advance(1);
    assert.equal(await signingKid(), next.kid);
    assert.equal(await nextRotation(), started + 20 * DAY, 'a period after the new key began signing');

    // Phase 3: the old key stays published until the last token it signed has expired (the longest ttl here: 600 s).
    h.clock.advance(600);
    assert.ok((await kids()).includes(first as string));
    h.clock.advance(2);
    assert.deepEqual(await kids(), [next.kid]);
  });
});

describe('an immediate rotation within the same millisecond as the last one', () => {
  it('signs with the new key and reports the old one as retiring', async () => {
    const h = await startHarness();
    try {
      const c = await h.createClient({ scope: 'a' });
      // The test clock does not move: both keys share activation and creation times.
      const rotated = (await h.admin('POST', '/admin/keys/rotate')).json();
      const r = await h.token(
        { grant_type: 'client_credentials' },
        { authorization: basic(c.client_id, c.client_secret) },
      );
      assert.equal(decodeJwt(r.json().access_token).header.kid, rotated.kid);
      const statuses = (await h.admin('GET', '/admin/keys'))
        .json()
        .items.map((k: { kid: string; status: string }) => [k.kid === rotated.kid, k.status]);
      assert.deepEqual(statuses.sort(), [
        [false, 'retiring'],
        [true, 'signing'],
      ]);
      // TESSERA_KEY_ROTATION_DAYS=0: keys rotate only by hand.
      const off = await startHarness({}, { TESSERA_KEY_ROTATION_DAYS: '0' });
      try {
        assert.equal((await off.admin('GET', '/admin/keys')).json().next_rotation_at, null);
      } finally {
        await off.close();
      }
    } finally {
      await h.close();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { createVerifier, VerifyError } from '@tessera/verify';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { basicAuth, type RegisteredClient, startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * Revocation that reaches verifiers (draft-ietf-oauth-status-list), against
 * a real Tessera process: a token revoked through the revocation endpoint
 * (or whose client is deleted) is refused by @tessera/verify, with and
 * without its event subscription, and by a check written by hand with jose
 * and node:zlib from nothing but the token and the draft.
 */
describe('status lists: a revocation reaches verifiers', () => {
  let t: TesseraProcess;
  let meta: Record<string, string>;
  let task: RegisteredClient;

  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (e instanceof VerifyError ? e.code : `unexpected: ${e}`),
    );

  async function token(client: RegisteredClient = task): Promise<string> {
    const r = await fetch(meta.token_endpoint as string, {
      method: 'POST',
      headers: {
        authorization: basicAuth(client.client_id, client.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience: 'calendar' }),
    });
    const body = (await r.json()) as { access_token: string };
    assert.equal(r.status, 200, JSON.stringify(body));
    return body.access_token;
  }

  async function revoke(accessToken: string, client: RegisteredClient = task): Promise<void> {
    const r = await fetch(meta.revocation_endpoint as string, {
      method: 'POST',
      headers: {
        authorization: basicAuth(client.client_id, client.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: accessToken }),
    });
    assert.equal(r.status, 200);
  }

  /** Written from the draft alone: jose for the JWTs, node:zlib for the list. */
  async function statusByHand(accessToken: string): Promise<number> {
    const { status } = decodeJwt(accessToken) as { status: { status_list: { idx: number; uri: string } } };
    const { idx, uri } = status.status_list;
    assert.equal(new URL(uri).origin, new URL(t.url).origin);
    const r = await fetch(uri, { headers: { accept: 'application/statuslist+jwt' } });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/statuslist\+jwt/);
    const { payload } = await jwtVerify(await r.text(), createRemoteJWKSet(new URL(meta.jwks_uri as string)), {
      typ: 'statuslist+jwt',
      subject: uri,
    });
    assert.equal(typeof payload.iat, 'number');
    assert.ok(typeof payload.ttl === 'number' && payload.ttl > 0);
    const { bits, lst } = payload.status_list as { bits: number; lst: string };
    assert.equal(bits, 1);
    const bytes = inflateSync(Buffer.from(lst, 'base64url'), { maxOutputLength: 16 * 1024 * 1024 });
    assert.ok(idx * bits < bytes.length * 8, 'idx within the list');
    // Index 0 is the least significant bit of byte 0.
    return ((bytes[(idx * bits) >> 3] as number) >> ((idx * bits) & 7)) & ((1 << bits) - 1);
  }

  before(async () => {
    t = await startTessera();
    meta = (await (await fetch(`${t.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, string>;
    task = await t.createClient({ client_id: 'task-service', scope: 'event.view', audience: ['calendar'] });
  });
  after(() => t?.stop());

  it('discovery names the events stream, and every JWT points into a list', async () => {
    assert.equal(meta.status_list_events_endpoint?.startsWith(`${t.url}/`), true, JSON.stringify(meta));
    const claims = decodeJwt(await token()) as { status?: { status_list?: { idx?: unknown; uri?: unknown } } };
    assert.equal(typeof claims.status?.status_list?.idx, 'number');
    assert.equal(typeof claims.status?.status_list?.uri, 'string');
  });

  it('the hand-written check: bit 0 before, 1 after revocation, for that token alone', async () => {
    const revoked = await token();
    const kept = await token();
    assert.equal(await statusByHand(revoked), 0);
    await revoke(revoked);
    assert.equal(await statusByHand(revoked), 1);
    assert.equal(await statusByHand(kept), 0);
  });

  it('without a subscription: a verifier refuses a revoked token from its next fetch of the list (new verifier, or past the ttl)', async () => {
    const accessToken = await token();
    let now = Date.now();
    const holding = createVerifier({
      issuer: t.url,
      audience: 'calendar',
      clock: () => now,
      status: { subscribe: false },
    });
    assert.equal(await code(holding.verify(accessToken)), 'ok');
    await revoke(accessToken);
    const fresh = createVerifier({ issuer: t.url, audience: 'calendar', status: { subscribe: false } });
    assert.equal(await code(fresh.verify(accessToken)), 'token_revoked');
    const { ttl } = decodeJwt(
      await (
        await fetch((decodeJwt(accessToken) as { status: { status_list: { uri: string } } }).status.status_list.uri)
      ).text(),
    ) as { ttl: number };
    now += ttl * 1000 + 1;
    assert.equal(await code(holding.verify(accessToken)), 'token_revoked', 'the list refetched after its ttl');
    assert.equal(await statusByHand(accessToken), 1);
  });

  it('with the subscription: a cached token is refused within a second of its revocation', async (ctx) => {
    const verifier = createVerifier({ issuer: t.url, audience: 'calendar' });
    try {
      const accessToken = await token();
      const other = await token();
      assert.equal((await verifier.verify(accessToken)).clientId, 'task-service');
      await verifier.verify(other);
      for (let i = 0; i < 400 && !verifier.statusEventsConnected; i++) await new Promise((r) => setTimeout(r, 5));
      assert.ok(verifier.statusEventsConnected, 'subscribed');
      assert.ok(verifier.verifySync(accessToken), 'answered from the caches, no I/O');
      const start = Date.now();
      await revoke(accessToken);
      let refused = false;
      while (!refused && Date.now() - start < 1_000) {
        try {
          verifier.verifySync(accessToken);
          await new Promise((r) => setTimeout(r, 2));
        } catch (err) {
          assert.equal((err as VerifyError).code, 'token_revoked');
          refused = true;
        }
      }
      const took = Date.now() - start;
      ctx.diagnostic(`refused ${took} ms after the revocation call was sent`);
      assert.ok(refused, 'refused within a second of the revocation call');
      assert.ok(took < 1_000, `${took} ms`);
      assert.equal(await code(verifier.verify(other)), 'ok', 'another token of the same list is unaffected');
      assert.equal(await statusByHand(accessToken), 1);
    } finally {
      verifier.close();
    }
  });

  it('deleting a client makes its outstanding JWTs refused, by the subscribed verifier and by hand', async () => {
    const doomed = await t.createClient({ scope: 'event.view', audience: ['calendar'] });
    const verifier = createVerifier({ issuer: t.url, audience: 'calendar' });
    try {
      const accessToken = await token(doomed);
      assert.equal(await code(verifier.verify(accessToken)), 'ok');
      for (let i = 0; i < 400 && !verifier.statusEventsConnected; i++) await new Promise((r) => setTimeout(r, 5));
      const removed = await t.admin('DELETE', `/admin/clients/${doomed.client_id}`);
      assert.equal(removed.status, 204);
      const start = Date.now();
      while (Date.now() - start < 1_000 && (await code(verifier.verify(accessToken))) === 'ok') {
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(await code(verifier.verify(accessToken)), 'token_revoked');
      assert.equal(await statusByHand(accessToken), 1);
    } finally {
      verifier.close();
    }
  });
});

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { VerifyError, type VerifyErrorCode } from './errors.js';
import { requireToken } from './middleware/node-http.js';
import { type LocalIssuer, startLocalIssuer } from './testing/local-issuer.js';
import { createVerifier, type VerifierOptions } from './verifier.js';

/** `{sub: a, act: {sub: b, act: …}}` for actors [a, b, …], outermost first. */
function actChain(actors: readonly string[]): Record<string, unknown> | undefined {
  return actors.reduceRight<Record<string, unknown> | undefined>(
    (inner, sub) => (inner ? { sub, act: inner } : { sub }),
    undefined,
  );
}

async function rejects(promise: Promise<unknown>, code: VerifyErrorCode): Promise<void> {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof VerifyError, String(err));
  assert.equal(err.code, code, err.message);
}

/** RFC 8693 §4.1 `act` on the verified token, checked for shape and depth. */
describe('delegation: the act chain (RFC 8693 §4.1)', () => {
  let iss: LocalIssuer;
  const make = (options: Partial<VerifierOptions> = {}) =>
    createVerifier({ issuer: iss.issuer, audience: 'file', ...options });

  /** A token signed with jose by the local issuer's key, as a real issuer would after an exchange. */
  async function token(act: unknown, claims: Record<string, unknown> = {}): Promise<string> {
    const key = iss.keys[0];
    if (!key) throw new Error('no key');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      client_id: 'calendar-service',
      scope: 'file.read',
      ...(act === undefined ? {} : { act }),
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: key.kid })
      .setIssuer(iss.issuer)
      .setSubject('task-service')
      .setAudience('file')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(key.privateKey);
  }

  before(async () => {
    iss = await startLocalIssuer({ audience: 'file' });
  });
  after(() => iss.close());

  it('a token without act has no actor and an empty chain', async () => {
    const verified = await make().verify(await token(undefined));
    assert.equal(verified.subject, 'task-service');
    assert.equal(verified.actor, undefined);
    assert.deepEqual(verified.actorChain, []);
    assert.equal(verified.claims.act, undefined);
  });

  it('one exchange: actor is act.sub, the subject stays the caller', async () => {
    const verified = await make().verify(await token({ sub: 'calendar-service' }));
    assert.equal(verified.subject, 'task-service');
    assert.equal(verified.clientId, 'calendar-service');
    assert.equal(verified.actor, 'calendar-service');
    assert.deepEqual(verified.actorChain, ['calendar-service']);
    assert.deepEqual(verified.claims.act, { sub: 'calendar-service' });
  });

  it('three exchanges: the chain from the current actor back to the first, frozen', async () => {
    const act = { ...actChain(['file-service', 'calendar-service', 'task-runner']), iss: 'elsewhere' };
    const verified = await make().verify(await token(act));
    assert.equal(verified.actor, 'file-service');
    assert.deepEqual(verified.actorChain, ['file-service', 'calendar-service', 'task-runner']);
    assert.deepEqual(verified.claims.act, act, 'the raw claim, other members included');
    assert.throws(() => (verified.actorChain as string[]).push('intruder'), TypeError);
  });

  it('refuses a malformed act as invalid_token (act_invalid)', async () => {
    const verifier = make();
    const malformed: unknown[] = [
      'calendar-service',
      null,
      ['calendar-service'],
      {},
      { sub: 42 },
      { sub: '' },
      { sub: 'calendar-service', act: 'task-runner' },
      { sub: 'calendar-service', act: null },
      { sub: 'calendar-service', act: [{ sub: 'x' }] },
      { sub: 'calendar-service', act: { sub: 'a', act: { iss: 'no-sub' } } },
    ];
    for (const act of malformed) {
      await rejects(verifier.verify(await token(act)), 'act_invalid');
    }
    const err = new VerifyError('act_invalid');
    assert.equal(err.kind, 'invalid_token');
  });

  it('maxDelegationDepth refuses longer chains (delegation_too_deep), accepts up to it', async () => {
    const one = await token(actChain(['calendar-service']));
    const three = await token(actChain(['c', 'b', 'a']));
    const none = await token(undefined);
    const depth1 = make({ maxDelegationDepth: 1 });
    assert.equal((await depth1.verify(none)).actor, undefined);
    assert.equal((await depth1.verify(one)).actor, 'calendar-service');
    await rejects(depth1.verify(three), 'delegation_too_deep');
    const depth3 = make({ maxDelegationDepth: 3 });
    assert.deepEqual((await depth3.verify(three)).actorChain, ['c', 'b', 'a']);
    const depth0 = make({ maxDelegationDepth: 0 });
    await depth0.verify(none);
    await rejects(depth0.verify(one), 'delegation_too_deep');
    assert.equal(new VerifyError('delegation_too_deep').kind, 'invalid_token');
  });

  it('reads at most 32 nested actors even without a limit', async () => {
    const actors = Array.from({ length: 33 }, (_, i) => `actor-${i}`);
    await rejects(make().verify(await token(actChain(actors))), 'delegation_too_deep');
    assert.equal((await make().verify(await token(actChain(actors.slice(1))))).actorChain.length, 32);
  });

  it('refuses a bad maxDelegationDepth at construction', () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      assert.throws(() => make({ maxDelegationDepth: bad }), /maxDelegationDepth/);
    }
  });

  describe('introspection', () => {
    let server: Server;
    let endpoint: string;
    let answer: Record<string, unknown>;

    before(async () => {
      server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const introspecting = (options: Partial<VerifierOptions> = {}) =>
      make({ introspection: { clientId: 'file-service', clientSecret: 's', endpoint }, cacheSize: 0, ...options });
    const active = (act: unknown) => ({
      active: true,
      iss: iss.issuer,
      sub: 'task-service',
      client_id: 'calendar-service',
      aud: 'file',
      scope: 'file.read',
      exp: Math.floor(Date.now() / 1000) + 300,
      act,
    });

    it('reads act from the introspection answer too', async () => {
      answer = active(actChain(['calendar-service', 'task-runner']));
      const verified = await introspecting().verify('tessera_at_opaque1');
      assert.equal(verified.format, 'introspected');
      assert.equal(verified.subject, 'task-service');
      assert.equal(verified.actor, 'calendar-service');
      assert.deepEqual(verified.actorChain, ['calendar-service', 'task-runner']);
    });

    it('applies the same shape and depth checks', async () => {
      answer = active({ sub: ['calendar-service'] });
      await rejects(introspecting().verify('tessera_at_opaque2'), 'act_invalid');
      answer = active(actChain(['b', 'a']));
      await rejects(introspecting({ maxDelegationDepth: 1 }).verify('tessera_at_opaque3'), 'delegation_too_deep');
    });
  });

  describe('middleware', () => {
    let server: Server;
    let url: string;

    before(async () => {
      const verifier = make({ maxDelegationDepth: 2 });
      const handler = requireToken({ verifier, scope: 'file.read' }, (_req, res, verified) => {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ sub: verified.subject, actor: verified.actor, chain: verified.actorChain }));
      });
      server = createServer(handler);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files/42`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const call = async (t: string) => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${t}` } });
      return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.json() };
    };

    it('hands the handler the subject, the actor and the chain', async () => {
      const res = await call(await token(actChain(['calendar-service', 'task-runner'])));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        sub: 'task-service',
        actor: 'calendar-service',
        chain: ['calendar-service', 'task-runner'],
      });
    });

    it('answers 401 invalid_token for a malformed act or a chain too deep', async () => {
      const malformed = await call(await token({ sub: 7 }));
      assert.equal(malformed.status, 401);
      assert.deepEqual(malformed.body, {
        error: 'invalid_token',
        error_description: 'The access token has a malformed act claim',
      });
      assert.equal(
        malformed.challenge,
        'Bearer error="invalid_token", error_description="The access token has a malformed act claim"',
      );
      const deep = await call(await token(actChain(['c', 'b', 'a'])));
      assert.equal(deep.status, 401);
      assert.deepEqual(deep.body, {
        error: 'invalid_token',
        error_description: 'The delegation chain of the access token is too long',
      });
    });
  });
});

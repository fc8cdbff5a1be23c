import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { VerifyError } from '../errors.js';
import { createAuthorizer, Denial } from '../middleware/authorize.js';
import { type ServedList, type StatusIssuer, startStatusIssuer } from '../testing/status-issuer.js';
import { createVerifier, type VerifierOptions } from '../verifier.js';

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof VerifyError ? e.code : `unexpected: ${e}`),
  );

/** Polls until `check` holds, or fails after `ms`; returns the time it took. */
async function within(ms: number, check: () => boolean | Promise<boolean>, what: string): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - start;
}

async function withIssuer(run: (iss: StatusIssuer) => Promise<void>): Promise<void> {
  const iss = await startStatusIssuer();
  try {
    await run(iss);
  } finally {
    await iss.close();
  }
}

const verifierFor = (iss: StatusIssuer, options: Partial<VerifierOptions> = {}) =>
  createVerifier({ issuer: iss.issuer, audience: 'calendar', ...options });

describe('status lists', () => {
  it('refuses a token whose bit is set, accepts its neighbours, and exposes the reference', () =>
    withIssuer(async (iss) => {
      iss.addList('a');
      iss.setStatus('a', 9, 1);
      const verifier = verifierFor(iss, { status: { subscribe: false } });
      const ok = await verifier.verify(iss.token('a', 8));
      assert.deepEqual(JSON.parse(JSON.stringify(ok.status)), { uri: iss.uri('a'), idx: 8 });
      assert.equal(await code(verifier.verify(iss.token('a', 9))), 'token_revoked');
      assert.equal(await code(verifier.verify(iss.token('a', 10))), 'ok');
      const err = await verifier.verify(iss.token('a', 9)).catch((e: VerifyError) => e);
      assert.ok(err instanceof VerifyError);
      assert.equal(err.kind, 'invalid_token');
      assert.equal(err.description, 'The access token has been revoked');
      assert.equal(iss.lists.get('a')?.fetches, 1, 'one fetch for the three tokens');
    }));

  it('reads 2-, 4- and 8-bit lists, any value but 0 refused', () =>
    withIssuer(async (iss) => {
      const verifier = verifierFor(iss, { status: { subscribe: false } });
      for (const bits of [2, 4, 8] as const) {
        const name = `b${bits}`;
        iss.addList(name, { bits, size: 64 });
        iss.setStatus(name, 5, 2); // suspended
        iss.setStatus(name, 6, (1 << bits) - 1);
        assert.equal(await code(verifier.verify(iss.token(name, 4))), 'ok', `${bits} bits, idx 4`);
        assert.equal(await code(verifier.verify(iss.token(name, 5))), 'token_revoked', `${bits} bits, idx 5`);
        assert.equal(await code(verifier.verify(iss.token(name, 6))), 'token_revoked', `${bits} bits, idx 6`);
        assert.equal(await code(verifier.verify(iss.token(name, 7))), 'ok', `${bits} bits, idx 7`);
      }
    }));

  it('refuses a malformed status claim, an index past the list, and a uri on another origin', () =>
    withIssuer(async (iss) => {
      iss.addList('a', { size: 16 });
      const verifier = verifierFor(iss, { status: { subscribe: false } });
      assert.equal(await code(verifier.verify(iss.token('a', 16))), 'status_invalid');
      for (const status of [
        'revoked',
        { status_list: 'x' },
        { status_list: { idx: -1, uri: iss.uri('a') } },
        { status_list: { idx: 1.5, uri: iss.uri('a') } },
        { status_list: { idx: '1', uri: iss.uri('a') } },
        { status_list: { idx: 1 } },
        { status_list: { idx: 1, uri: 'not a url' } },
        { status_list: { idx: 1, uri: 'http://127.0.0.2:1/status/a' } },
        { status_list: { idx: 1, uri: iss.uri('a').replace('http:', 'https:') } },
        { status_list: { idx: 1, uri: iss.uri('a').replace('//', '//user:pw@') } },
      ]) {
        assert.equal(
          await code(verifier.verify(iss.token(undefined, 0, status))),
          'status_invalid',
          JSON.stringify(status),
        );
      }
    }));

  it('accepts tokens without a status, unless one is required; status: false turns the check off', () =>
    withIssuer(async (iss) => {
      iss.addList('a');
      iss.setStatus('a', 0, 1);
      assert.equal(await code(verifierFor(iss).verify(iss.token(undefined))), 'ok');
      assert.equal(await code(verifierFor(iss).verify(iss.token(undefined, 0, { other: {} }))), 'ok');
      const strict = verifierFor(iss, { status: { required: true, subscribe: false } });
      assert.equal(await code(strict.verify(iss.token(undefined))), 'status_missing');
      assert.equal(await code(strict.verify(iss.token('a', 1))), 'ok');
      assert.equal(await code(verifierFor(iss, { status: false }).verify(iss.token('a', 0))), 'ok');
      assert.equal(iss.lists.get('a')?.fetches, 1);
    }));

  it('checks the bit on the cached path, synchronously, with the list refetched after its ttl', () =>
    withIssuer(async (iss) => {
      iss.addList('a', { ttl: 10 });
      let now = Date.now();
      const verifier = verifierFor(iss, { clock: () => now, status: { subscribe: false } });
      const token = iss.token('a', 3);
      await verifier.verify(token);
      assert.equal(verifier.verifySync(token)?.clientId, 'task-service', 'cached, list fresh: no I/O');
      iss.setStatus('a', 3, 1);
      assert.equal(verifier.verifySync(token)?.clientId, 'task-service', 'within the ttl the list held serves');
      now += 10_001;
      assert.equal(verifier.verifySync(token), undefined, 'past the ttl the answer needs the network');
      assert.equal(await code(verifier.verify(token)), 'token_revoked');
      assert.throws(() => verifier.verifySync(token), { code: 'token_revoked' });
      assert.equal(iss.lists.get('a')?.fetches, 2);
    }));

  it('refreshes a busy list ahead of its ttl, without making requests wait', () =>
    withIssuer(async (iss) => {
      iss.addList('a', { ttl: 10 });
      let now = Date.now();
      const verifier = verifierFor(iss, { clock: () => now, status: { subscribe: false } });
      const token = iss.token('a', 3);
      await verifier.verify(token);
      iss.setStatus('a', 3, 1);
      now += 8_500;
      assert.ok(verifier.verifySync(token), 'still fresh: answered from the list held');
      await within(2_000, () => iss.lists.get('a')?.fetches === 2, 'background refresh');
      await within(2_000, () => code(verifier.verify(token)).then((c) => c === 'token_revoked'), 'new list used');
    }));

  it('shares one fetch of a list between concurrent requests', () =>
    withIssuer(async (iss) => {
      iss.addList('a');
      const verifier = verifierFor(iss, { status: { subscribe: false } });
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => code(verifier.verify(iss.token('a', i)))));
      assert.deepEqual(new Set(results), new Set(['ok']));
      assert.equal(iss.lists.get('a')?.fetches, 1);
    }));

  it('keeps at most cacheSize lists; a cached token whose list was evicted is checked against a fresh fetch', () =>
    withIssuer(async (iss) => {
      for (const name of ['a', 'b', 'c']) iss.addList(name);
      const verifier = verifierFor(iss, { status: { subscribe: false, cacheSize: 2 } });
      const first = iss.token('a', 5);
      await verifier.verify(first);
      await verifier.verify(iss.token('b', 5));
      await verifier.verify(iss.token('c', 5)); // evicts a
      iss.setStatus('a', 5, 1);
      assert.equal(verifier.verifySync(first), undefined, 'its list must be fetched again');
      assert.equal(await code(verifier.verify(first)), 'token_revoked');
      assert.equal(iss.lists.get('a')?.fetches, 2);
      assert.throws(() => verifier.verifySync(first), { code: 'token_revoked' });
      assert.equal(await code(verifier.verify(iss.token('c', 5))), 'ok');
    }));

  describe('refuses a bad list, and never lets it decide', () => {
    const faults: [NonNullable<ServedList['fault']>, RegExp][] = [
      ['foreign-key', /signature/],
      ['unsigned', /base64url|signature/],
      ['typ', /typ/],
      ['sub', /sub/],
      ['bits', /bits/],
      ['not-zlib', /decompress/],
      ['expired', /expired/],
      ['iss', /iss/],
      ['down', /503/],
    ];
    for (const [fault, reason] of faults) {
      it(`${fault}: fails closed, and keeps a revoked token revoked when staleness is allowed`, () =>
        withIssuer(async (iss) => {
          iss.addList('a', { ttl: 10 });
          iss.setStatus('a', 1, 1);
          const list = iss.lists.get('a') as ServedList;
          list.fault = fault;
          const closed = verifierFor(iss, { status: { subscribe: false } });
          const err = await closed.verify(iss.token('a', 0)).catch((e: VerifyError) => e);
          assert.ok(err instanceof VerifyError);
          assert.equal(err.code, 'status_list_unavailable');
          assert.equal(err.kind, 'unavailable');
          assert.match(closed.statusListFailure(iss.uri('a')) ?? '', reason);

          // A good list first, then the bad one, which says nothing is revoked.
          list.fault = undefined;
          let now = Date.now();
          const stale = verifierFor(iss, { clock: () => now, status: { subscribe: false, maxStalenessSec: 60 } });
          assert.equal(await code(stale.verify(iss.token('a', 1))), 'token_revoked');
          iss.setStatus('a', 1, 0);
          list.fault = fault;
          now += 11_000;
          assert.equal(await code(stale.verify(iss.token('a', 1))), 'token_revoked', 'the last good list stands');
          assert.equal(await code(stale.verify(iss.token('a', 0))), 'ok');
          assert.match(stale.statusListFailure(iss.uri('a')) ?? '', reason);
        }));
    }

    it('a list that decompresses past the cap', () =>
      withIssuer(async (iss) => {
        iss.addList('big', { size: 8 * 4096 });
        const verifier = verifierFor(iss, { status: { subscribe: false, maxListBytes: 4095 } });
        assert.equal(await code(verifier.verify(iss.token('big', 0))), 'status_list_unavailable');
        assert.match(verifier.statusListFailure(iss.uri('big')) ?? '', /size cap/);
        const roomy = verifierFor(iss, { status: { subscribe: false, maxListBytes: 4096 } });
        assert.equal(await code(roomy.verify(iss.token('big', 0))), 'ok');
      }));

    it('a list older than the one held (a replay)', () =>
      withIssuer(async (iss) => {
        iss.addList('a', { ttl: 10 });
        iss.setStatus('a', 1, 1);
        let now = Date.now();
        const verifier = verifierFor(iss, { clock: () => now, status: { subscribe: false } });
        assert.equal(await code(verifier.verify(iss.token('a', 1))), 'token_revoked');
        iss.setStatus('a', 1, 0);
        (iss.lists.get('a') as ServedList).fault = 'older';
        now += 11_000;
        assert.equal(await code(verifier.verify(iss.token('a', 1))), 'status_list_unavailable');
        assert.match(verifier.statusListFailure(iss.uri('a')) ?? '', /older/);
      }));
  });

  it('when the list cannot be fetched: fails closed by default; with maxStalenessSec, the last list serves that long', () =>
    withIssuer(async (iss) => {
      iss.addList('a', { ttl: 10 });
      let now = Date.now();
      const closed = verifierFor(iss, { clock: () => now, status: { subscribe: false } });
      const stale = verifierFor(iss, { clock: () => now, status: { subscribe: false, maxStalenessSec: 30 } });
      const token = iss.token('a', 0);
      await closed.verify(token);
      await stale.verify(token);
      const list = iss.lists.get('a') as ServedList;
      list.fault = 'down';
      now += 10_001;
      assert.equal(await code(closed.verify(token)), 'status_list_unavailable');
      assert.equal(await code(stale.verify(token)), 'ok');
      // Within the staleness, after a failure, requests do not wait for the issuer.
      assert.ok(stale.verifySync(token));
      now += 30_000;
      assert.equal(await code(stale.verify(token)), 'status_list_unavailable', 'past ttl + maxStalenessSec');
      // The issuer back: both recover, after the cooldown.
      list.fault = undefined;
      now += 1_000;
      assert.equal(await code(closed.verify(token)), 'ok');
      assert.equal(await code(stale.verify(token)), 'ok');
    }));

  it('gives up on a list that hangs after the timeout', () =>
    withIssuer(async (iss) => {
      iss.addList('a');
      (iss.lists.get('a') as ServedList).fault = 'hang';
      const verifier = verifierFor(iss, { timeoutMs: 300, status: { subscribe: false } });
      const started = Date.now();
      assert.equal(await code(verifier.verify(iss.token('a', 0))), 'status_list_unavailable');
      assert.ok(Date.now() - started < 2_000);
    }));

  it('answers 401 invalid_token in middleware for a revoked token, 503 when the list cannot be had', () =>
    withIssuer(async (iss) => {
      iss.addList('a');
      iss.addList('gone');
      iss.setStatus('a', 2, 1);
      (iss.lists.get('gone') as ServedList).fault = 'down';
      const verifier = verifierFor(iss, { status: { subscribe: false } });
      const authorize = createAuthorizer({ verifier });
      const ask = async (token: string) => {
        const r = await authorize({ authorization: `Bearer ${token}` });
        return r instanceof Denial ? r : undefined;
      };
      const revoked = await ask(iss.token('a', 2));
      assert.equal(revoked?.status, 401);
      assert.deepEqual(revoked?.body, {
        error: 'invalid_token',
        error_description: 'The access token has been revoked',
      });
      assert.equal(
        revoked?.headers['www-authenticate'],
        'Bearer error="invalid_token", error_description="The access token has been revoked"',
      );
      assert.equal(await ask(iss.token('a', 1)), undefined);
      assert.equal((await ask(iss.token('gone', 1)))?.status, 503);
    }));
});

describe('status list events', () => {
  it('a change announced on the stream reaches a cached token within a second', () =>
    withIssuer(async (iss) => {
      iss.addList('a', { ttl: 3600 });
      const verifier = verifierFor(iss);
      try {
        const token = iss.token('a', 7);
        await verifier.verify(token);
        await within(2_000, () => iss.streams.size === 1, 'subscribed');
        for (const value of [1, 0, 1]) {
          iss.setStatus('a', 7, value);
          iss.announce('a');
          // verify() answers a cached token on the cached path, reading the list held.
          const expected = value ? 'token_revoked' : 'ok';
          await within(1_000, () => code(verifier.verify(token)).then((c) => c === expected), `status ${value}`);
        }
        assert.throws(() => verifier.verifySync(token), { code: 'token_revoked' });
        assert.equal(iss.streamsOpened, 1);
      } finally {
        verifier.close();
      }
    }));

  it('coalesces a burst of announcements, and ignores lists it does not hold', () =>
    withIssuer(async (iss) => {
      iss.addList('a');
      iss.addList('b');
      const verifier = verifierFor(iss);
      try {
        await verifier.verify(iss.token('a', 0));
        await within(2_000, () => iss.streams.size === 1 && (iss.lists.get('a')?.fetches ?? 0) >= 2, 'subscribed');
        const before = iss.lists.get('a')?.fetches ?? 0;
        for (let i = 0; i < 50; i++) iss.announce('a');
        iss.announce('b');
        iss.setStatus('a', 0, 1);
        iss.announce('a');
        await within(1_000, () => code(verifier.verify(iss.token('a', 0))).then((c) => c === 'token_revoked'), 'seen');
        await new Promise((r) => setTimeout(r, 100));
        const fetches = (iss.lists.get('a')?.fetches ?? 0) - before;
        assert.ok(fetches <= 3, `${fetches} fetches for 51 announcements`);
        assert.equal(iss.lists.get('b')?.fetches, 0);
      } finally {
        verifier.close();
      }
    }));

  it('reconnects with backoff when the stream drops, and refetches what it may have missed', () =>
    withIssuer(async (iss) => {
      iss.addList('a', { ttl: 3600 });
      const verifier = verifierFor(iss);
      try {
        const token = iss.token('a', 1);
        await verifier.verify(token);
        // Subscribed, and the list fetched again once the stream opened.
        await within(2_000, () => iss.streams.size === 1 && iss.lists.get('a')?.fetches === 2, 'subscribed');
        // Down, and a change made while no stream is open.
        iss.eventsDown = true;
        iss.dropStreams();
        iss.setStatus('a', 1, 1);
        await new Promise((r) => setTimeout(r, 1_200));
        assert.equal(iss.streams.size, 0);
        assert.equal(await code(verifier.verify(token)), 'ok', 'missed, while the stream is down');
        iss.eventsDown = false;
        // Back off: 0.5 s, 1 s, 2 s, 4 s (each half jittered) so far.
        await within(6_000, () => iss.streams.size === 1, 'reconnected');
        await within(1_000, () => code(verifier.verify(token)).then((c) => c === 'token_revoked'), 'refetched');
        iss.setStatus('a', 1, 0);
        iss.announce('a');
        await within(1_000, () => code(verifier.verify(token)).then((c) => c === 'ok'), 'events flow again');
      } finally {
        verifier.close();
      }
    }));

  it('survives heartbeats and garbage, and close() ends the subscription for good', () =>
    withIssuer(async (iss) => {
      iss.addList('a');
      const verifier = verifierFor(iss);
      await verifier.verify(iss.token('a', 1));
      await within(2_000, () => iss.streams.size === 1, 'subscribed');
      iss.heartbeat();
      for (const res of iss.streams) {
        res.write('event: status_list\ndata: not json\n\nevent: other\ndata: {"uri": 1}\n\n: x\r\n\r\n');
      }
      iss.setStatus('a', 1, 1);
      iss.announce('a');
      await within(1_000, () => code(verifier.verify(iss.token('a', 1))).then((c) => c === 'token_revoked'), 'seen');
      verifier.close();
      await within(1_000, () => iss.streams.size === 0, 'closed');
      await new Promise((r) => setTimeout(r, 800));
      assert.equal(iss.streamsOpened, 1, 'no reconnection after close()');
    }));

  it('subscribes to nothing when discovery names no stream, or with jwksUri and no eventsEndpoint', () =>
    withIssuer(async (iss) => {
      iss.addList('a');
      iss.eventsAdvertised = false;
      const verifier = verifierFor(iss);
      for (let i = 0; i < 5; i++) assert.equal(await code(verifier.verify(iss.token('a', i))), 'ok');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(iss.streamsOpened, 0);
      assert.equal(iss.metadataFetches, 1);
      iss.eventsAdvertised = true;
      const direct = verifierFor(iss, { jwksUri: `${iss.issuer}/jwks` });
      assert.equal(await code(direct.verify(iss.token('a', 0))), 'ok');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(iss.streamsOpened, 0);
      assert.equal(iss.metadataFetches, 1, 'no discovery');
      const named = verifierFor(iss, {
        jwksUri: `${iss.issuer}/jwks`,
        status: { eventsEndpoint: `${iss.issuer}/status-events` },
      });
      try {
        await named.verify(iss.token('a', 0));
        await within(2_000, () => named.statusEventsConnected, 'subscribed to the endpoint given');
        assert.equal(iss.metadataFetches, 1);
      } finally {
        named.close();
      }
      assert.throws(
        () => verifierFor(iss, { status: { eventsEndpoint: 'http://127.0.0.2:1/events' } }),
        /issuer origin/,
      );
    }));

  it('drops a stream that sends an endless line, and reconnects', () =>
    withIssuer(async (iss) => {
      iss.addList('a');
      const verifier = verifierFor(iss);
      try {
        await verifier.verify(iss.token('a', 1));
        await within(2_000, () => iss.streams.size === 1, 'subscribed');
        for (const res of iss.streams) res.write(`data: ${'x'.repeat(70_000)}`);
        await within(3_000, () => iss.streamsOpened === 2 && iss.streams.size === 1, 'reconnected');
      } finally {
        verifier.close();
      }
    }));

  it('does not keep the process alive', () =>
    withIssuer(async (iss) => {
      iss.addList('a');
      const verifierUrl = new URL('../verifier.ts', import.meta.url).href;
      const script = `
        const { createVerifier } = await import(${JSON.stringify(verifierUrl)});
        const v = createVerifier({ issuer: ${JSON.stringify(iss.issuer)}, audience: 'calendar' });
        await v.verify(${JSON.stringify(iss.token('a', 0))});
        await new Promise((r) => setTimeout(r, 1000));
        console.log('verified');
      `;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: fileURLToPath(new URL('../../', import.meta.url)),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      let printedAt = 0;
      child.stdout.on('data', (d) => {
        out += d;
        printedAt = Date.now();
      });
      // The stream is open while the child runs; then it must exit by itself.
      await within(10_000, () => iss.streamsOpened === 1, 'child subscribed');
      const exitCode = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          child.kill();
          resolve(-1);
        }, 15_000);
        child.on('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      assert.equal(exitCode, 0, 'exited by itself');
      assert.match(out, /verified/);
      assert.ok(Date.now() - printedAt < 1_000, 'exited as soon as its work was done');
      assert.equal(iss.streams.size, 0);
    }));
});

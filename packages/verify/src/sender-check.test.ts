import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createDpopNonces } from './dpop/nonce.js';
import type { DpopReplayStore } from './dpop/replay.js';
import { VerifyError } from './errors.js';
import type { Presentation } from './sender-check.js';
import { type DpopKey, dpopKey, proof } from './testing/dpop.js';
import { type LocalIssuer, startLocalIssuer } from './testing/local-issuer.js';
import { createVerifier, type VerifierOptions } from './verifier.js';

const URL_ = 'https://calendar.example/events';

describe('sender-constrained tokens in the verifier', () => {
  let iss: LocalIssuer;
  let key: DpopKey;
  before(async () => {
    iss = await startLocalIssuer();
    key = await dpopKey();
  });
  after(() => iss?.close());

  const verifier = (options: Partial<VerifierOptions> = {}) =>
    createVerifier({ issuer: iss.issuer, audience: 'calendar', ...options });
  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (e instanceof VerifyError ? e.code : `unexpected: ${e}`),
    );
  const dpop = async (token: string, extra: Partial<Presentation> = {}, k = key): Promise<Presentation> => ({
    scheme: 'dpop',
    method: 'GET',
    url: `${URL_}?page=2`,
    proof: await proof(k, { htu: URL_, accessToken: token }),
    ...extra,
  });

  it('accepts a DPoP-bound token with its proof, exposing the proof, without any option', async () => {
    const token = iss.token({ cnf: { jkt: key.jkt } });
    const v = verifier();
    const result = await v.verify(token, { scope: 'event.view', presentation: await dpop(token) });
    assert.equal(result.dpop?.jkt, key.jkt);
    assert.equal(typeof result.dpop?.jti, 'string');
    assert.equal(result.clientId, 'task-service');
  });

  it('refuses a bound token sent as Bearer, and a DPoP token without proof', async () => {
    const token = iss.token({ cnf: { jkt: key.jkt } });
    const v = verifier();
    assert.equal(await code(v.verify(token)), 'dpop_bound_token');
    // The lower-level Bearer steps refuse it too, before and after the keys are known.
    assert.equal((await v.settle(iss.token({ cnf: { jkt: key.jkt } }), [])) instanceof VerifyError, true);
    assert.equal((v.attempt(token, []) as VerifyError).code, 'dpop_bound_token');
    assert.throws(() => v.verifySync(token), /bound to a key/);
    assert.equal(
      await code(v.verify(token, { presentation: { scheme: 'dpop', method: 'GET', url: URL_ } })),
      'dpop_proof_missing',
    );
  });

  it('never lets the verified-token cache skip the proof', async () => {
    const token = iss.token({ cnf: { jkt: key.jkt } });
    const v = verifier();
    assert.equal(await code(v.verify(token, { presentation: await dpop(token) })), 'ok');
    // Cached now: still a proof per request, a fresh one, for this key, this URL.
    const reused = await dpop(token);
    assert.equal(await code(v.verify(token, { presentation: reused })), 'ok');
    assert.equal(await code(v.verify(token, { presentation: reused })), 'dpop_proof_replayed');
    assert.equal(
      await code(v.verify(token, { presentation: await dpop(token, { url: 'https://calendar.example/x' }) })),
      'dpop_proof_mismatch',
    );
    assert.equal(
      await code(v.verify(token, { presentation: await dpop(token, {}, await dpopKey()) })),
      'dpop_key_mismatch',
    );
    assert.equal(await code(v.verify(token)), 'dpop_bound_token');
  });

  it('refuses an unbound token with the DPoP scheme, and unbound tokens when DPoP is required', async () => {
    const plain = iss.token();
    assert.equal(await code(verifier().verify(plain, { presentation: await dpop(plain) })), 'dpop_not_bound');
    assert.equal(await code(verifier().verify(plain)), 'ok');
    assert.equal(await code(verifier({ dpop: { required: true } }).verify(plain)), 'dpop_required');
  });

  it('asks for a nonce, then accepts a proof that carries the one issued', async () => {
    const nonces = createDpopNonces({ secret: randomBytes(32) });
    const v = verifier({ dpop: { nonce: nonces } });
    const token = iss.token({ cnf: { jkt: key.jkt } });
    const first = await v.verify(token, { presentation: await dpop(token) }).catch((e: unknown) => e);
    assert.ok(first instanceof VerifyError);
    assert.equal(first.kind, 'use_dpop_nonce');
    assert.ok(first.dpopNonce);
    const withNonce = await proof(key, { htu: URL_, accessToken: token, claims: { nonce: first.dpopNonce } });
    const result = await v.verify(token, { presentation: await dpop(token, { proof: withNonce }) });
    assert.equal(result.dpop?.nonce, first.dpopNonce);
    const forged = await proof(key, { htu: URL_, accessToken: token, claims: { nonce: 'x.AAAA' } });
    assert.equal(
      await code(v.verify(token, { presentation: await dpop(token, { proof: forged }) })),
      'dpop_nonce_required',
    );
  });

  it('uses a pluggable, asynchronous replay store, and answers 503-kind when it fails', async () => {
    const seen = new Set<string>();
    let broken = false;
    const store: DpopReplayStore = {
      async useOnce(k) {
        if (broken) throw new Error('redis down');
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      },
    };
    const v = verifier({ dpop: { replay: store } });
    const token = iss.token({ cnf: { jkt: key.jkt } });
    const p = await dpop(token);
    assert.equal(await code(v.verify(token, { presentation: p })), 'ok');
    assert.equal(await code(v.verify(token, { presentation: p })), 'dpop_proof_replayed');
    assert.equal(seen.size, 1);
    broken = true;
    assert.equal(await code(v.verify(token, { presentation: await dpop(token) })), 'dpop_replay_unavailable');
    assert.throws(() => v.verifySync(token, { presentation: p }), TypeError);
  });

  it('checks certificate-bound tokens against the presented certificate', async () => {
    const der = Buffer.concat([Buffer.from([0x30]), randomBytes(300)]);
    const x5t = createHash('sha256').update(der).digest('base64url');
    const token = iss.token({ cnf: { 'x5t#S256': x5t } });
    const v = verifier();
    const result = await v.verify(token, { presentation: { scheme: 'bearer', certificate: der } });
    assert.equal(result.certificateThumbprint, x5t);
    assert.equal(await code(v.verify(token, { presentation: { scheme: 'bearer', certificate: () => der } })), 'ok');
    assert.equal(await code(v.verify(token)), 'certificate_missing');
    const other = Buffer.concat([Buffer.from([0x30]), randomBytes(300)]);
    assert.equal(
      await code(v.verify(token, { presentation: { scheme: 'bearer', certificate: other } })),
      'certificate_mismatch',
    );
    assert.equal(await code(verifier({ mtls: { required: true } }).verify(iss.token())), 'certificate_required');
    assert.equal(await code(verifier().verify(iss.token({ cnf: 'jkt' }))), 'claim_invalid');
  });

  it('checks cnf from introspection answers too', async () => {
    const opaque = 'tsr_opaque_bound_token';
    const answer = { active: true, ...iss.claims({ cnf: { jkt: key.jkt } }), token_type: 'DPoP' };
    const v = verifier({
      introspection: { clientId: 'rs', clientSecret: 's', endpoint: 'https://as.example/introspect' },
      fetch: async () => Response.json(answer),
    });
    assert.equal(await code(v.verify(opaque)), 'dpop_bound_token');
    const result = await v.verify(opaque, { presentation: await dpop(opaque) });
    assert.equal(result.format, 'introspected');
    assert.equal(result.dpop?.jkt, key.jkt);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredClient } from '../clients/client.js';
import type { ClientMetadata } from '../clients/metadata-fields.js';
import { defaultMetadata } from '../clients/metadata-fields.js';
import { InvalidRequest, InvalidScope, InvalidTarget } from '../errors/index.js';
import { readChain, UNREADABLE_LINK } from '../tokens/chain.js';
import type { GrantedToken } from '../tokens/granted-token.js';
import { lifetime } from '../tokens/lifetime.js';
import type { SubjectToken } from './subject-token.js';
import { actorCount, exchangedToken, exchangeInput, narrowedScope } from './token-exchange.js';

const AT = 'urn:ietf:params:oauth:token-type:access_token';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const NOW_S = 1_800_000_000;
const deps = { defaultAudience: ['https://as.example/resources'], now: () => NOW_S * 1000 };

const params = (p: Record<string, string | string[]>) =>
  new Map(Object.entries(p).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));

function client(metadata: Partial<ClientMetadata> = {}): StoredClient {
  return {
    clientId: 'calendar',
    metadata: { ...defaultMetadata(), scope: 'a b c', audience: ['files'], ...metadata } as ClientMetadata,
    createdAt: 0,
    updatedAt: 0,
    secrets: [],
  };
}

const subject = (over: Partial<SubjectToken> = {}): SubjectToken => ({
  sub: 'task',
  clientId: 'task',
  scope: 'a b x',
  exp: NOW_S + 600,
  act: undefined,
  chain: [{ jti: 'j0', client_id: 'task' }],
  ...over,
});

describe('token exchange, pure parts', () => {
  it('exchangeInput: the parameters, checked in order, before any token is read', () => {
    assert.deepEqual(exchangeInput(params({ subject_token: 't', subject_token_type: JWT })), {
      subjectToken: 't',
      subjectTokenType: JWT,
      actor: undefined,
    });
    assert.deepEqual(
      exchangeInput(params({ subject_token: 't', subject_token_type: AT, actor_token: 'u', actor_token_type: AT }))
        .actor,
      { token: 'u', type: AT },
    );
    const refused = (p: Record<string, string>, description: string) =>
      assert.throws(
        () => exchangeInput(params(p)),
        (e) => e instanceof InvalidRequest && e.description === description,
      );
    refused({ subject_token_type: AT }, 'subject_token is required');
    refused({ subject_token: 't' }, 'subject_token_type is required');
    refused({ subject_token: 't', subject_token_type: 'saml' }, `subject_token_type: must be ${AT} or ${JWT}`);
    refused(
      { subject_token: 't', subject_token_type: AT, requested_token_type: JWT },
      `requested_token_type: only ${AT} is issued`,
    );
    refused(
      { subject_token: 't', subject_token_type: AT, actor_token: 'u' },
      'actor_token_type is required with actor_token',
    );
    refused(
      { subject_token: 't', subject_token_type: AT, actor_token_type: AT },
      'actor_token_type is only sent with actor_token',
    );
  });

  it('narrowedScope: within both; a subject without a scope claim bounds nothing; never widening', () => {
    assert.equal(narrowedScope('a b c', 'a b x', undefined), 'a b');
    assert.equal(narrowedScope('a b c', 'a b x', 'b'), 'b');
    assert.equal(narrowedScope('a b c', 'a b x', 'b b a'), 'b a');
    assert.equal(narrowedScope('a b c', undefined, undefined), 'a b c');
    assert.equal(narrowedScope('a b c', '', undefined), '');
    assert.equal(narrowedScope('', 'a', undefined), '');
    for (const [requested, refused] of [
      ['c', 'c'],
      ['x', 'x'],
      ['a x c', 'x c'],
    ]) {
      assert.throws(
        () => narrowedScope('a b c', 'a b x', requested),
        (e) =>
          e instanceof InvalidScope &&
          e.description === `scope not within the client's and the subject token's: ${refused}`,
      );
    }
  });

  it('actorCount: each actor, nested; bounded for a token nested without end', () => {
    assert.equal(actorCount({ sub: 'a' }), 1);
    assert.equal(actorCount({ sub: 'a', act: { sub: 'b', act: { sub: 'c' } } }), 3);
    let deep = { sub: 'x' };
    for (let i = 0; i < 1000; i++) deep = { sub: 'x', act: deep } as typeof deep;
    assert.equal(actorCount(deep), 11);
  });

  it('exchangedToken: sub of the subject, act nesting, the chain, capped at the subject exp', () => {
    const t = exchangedToken(client(), subject({ act: { sub: 'earlier' } }), params({}), deps);
    assert.equal(t.clientId, 'calendar');
    assert.equal(t.subject, 'task');
    assert.deepEqual(t.act, { sub: 'calendar', act: { sub: 'earlier' } });
    assert.deepEqual(t.chain, [{ jti: 'j0', client_id: 'task' }]);
    assert.equal(t.scope, 'a b');
    assert.deepEqual(t.scopes, ['a', 'b']);
    assert.deepEqual(t.audience, ['files']);
    assert.equal(t.ttl, 600);
    assert.equal(t.notAfter, NOW_S + 600);
    assert.equal(t.issuedTokenType, AT);
    assert.equal(exchangedToken(client({ access_token_ttl: 60 }), subject(), params({}), deps).ttl, 60);
    assert.deepEqual(
      exchangedToken(client({ audience: [] }), subject(), params({}), deps).audience,
      deps.defaultAudience,
    );
  });

  it('exchangedToken: the policy and the audience', () => {
    const picky = client({ token_exchange_subject_clients: ['other'] });
    assert.throws(() => exchangedToken(picky, subject(), params({}), deps), InvalidRequest);
    // A subject from another issuer names no client: a list of clients never matches it.
    assert.throws(() => exchangedToken(picky, subject({ clientId: undefined }), params({}), deps), InvalidRequest);
    assert.ok(exchangedToken(client({ token_exchange_subject_clients: ['task'] }), subject(), params({}), deps));
    const shallow = client({ token_exchange_max_depth: 2 });
    assert.ok(exchangedToken(shallow, subject({ act: { sub: 'one' } }), params({}), deps));
    assert.throws(
      () => exchangedToken(shallow, subject({ act: { sub: 'one', act: { sub: 'two' } } }), params({}), deps),
      InvalidRequest,
    );
    assert.throws(() => exchangedToken(client(), subject(), params({ audience: 'elsewhere' }), deps), InvalidTarget);
  });

  it('lifetime: the ttl, cut at notAfter at the second of issue; nothing for a subject gone meanwhile', () => {
    const token = { ttl: 600, notAfter: undefined } as unknown as GrantedToken;
    assert.equal(lifetime(token, NOW_S), 600);
    assert.equal(lifetime({ ...token, notAfter: NOW_S + 100 }, NOW_S), 100);
    assert.equal(lifetime({ ...token, notAfter: NOW_S + 1000 }, NOW_S), 600);
    assert.throws(() => lifetime({ ...token, notAfter: NOW_S }, NOW_S), InvalidRequest);
  });

  it('readChain: what we wrote, and an unreadable link for anything else', () => {
    assert.deepEqual(readChain([{ jti: 'j', client_id: 'c', extra: 1 }]), [{ jti: 'j', client_id: 'c' }]);
    assert.deepEqual(readChain('j'), [UNREADABLE_LINK]);
    assert.deepEqual(readChain([{ jti: 'j' }, null]), [UNREADABLE_LINK, UNREADABLE_LINK]);
  });
});

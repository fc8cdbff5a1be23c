import type { StoredClient } from '../clients/client.js';
import { DEFAULT_EXCHANGE_DEPTH, MAX_EXCHANGE_DEPTH } from '../clients/metadata-fields.js';
import { type Params, single } from '../core/params.js';
import { InvalidRequest, InvalidScope } from '../errors/index.js';
import type { Actor, GrantedToken } from '../tokens/granted-token.js';
import { grantedAudience, requestedAudience } from './client-credentials.js';
import type { Grant, GrantDeps } from './grant.js';
import {
  ACCESS_TOKEN_TYPE,
  type InputTokenType,
  isInputTokenType,
  readSubjectToken,
  type SubjectToken,
} from './subject-token.js';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

type Deps = Pick<GrantDeps, 'defaultAudience' | 'subjectTokens' | 'now'>;

/**
 * RFC 8693: a client trades a token it received (the subject token) for
 * one of its own, for the next service, keeping whom it acts for. The new
 * token's `sub` is the subject's, `client_id` and `act.sub` the requesting
 * client, the subject's `act` nested inside (§4.1); its scopes are within
 * the subject's and the client's, it expires no later than the subject,
 * and it carries the chain of tokens it came from, so revoking any of them
 * reaches it (core/read-token.ts). Its own checks run before any token is
 * read; nothing is issued on any error.
 */
export const tokenExchange = {
  type: TOKEN_EXCHANGE,
  params: {
    scope: 'once',
    audience: 'repeatable',
    resource: 'repeatable',
    subject_token: 'once',
    subject_token_type: 'once',
    actor_token: 'once',
    actor_token_type: 'once',
    requested_token_type: 'once',
  },
  handle(request, client, deps) {
    const input = exchangeInput(request.params);
    return readSubjectToken(deps.subjectTokens, input.subjectToken, input.subjectTokenType).then((subject) => {
      if (!subject) throw new InvalidRequest('subject_token is not active');
      if (input.actor === undefined) return exchangedToken(client, subject, request.params, deps);
      return readSubjectToken(deps.subjectTokens, input.actor.token, input.actor.type).then((actor) => {
        if (!actor) throw new InvalidRequest('actor_token is not active');
        // §4.1: `act` names the requesting client; an actor token, when given, must name it too.
        if (actor.sub !== client.clientId) throw new InvalidRequest('actor_token does not name the requesting client');
        return exchangedToken(client, subject, request.params, deps);
      });
    });
  },
} as const satisfies Grant<Deps>;

interface ExchangeInput {
  subjectToken: string;
  subjectTokenType: InputTokenType;
  actor: { token: string; type: InputTokenType } | undefined;
}

/** RFC 8693 §2.1's parameters, checked before any token is read. */
export function exchangeInput(params: Params): ExchangeInput {
  const requested = single(params, 'requested_token_type');
  if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE) {
    throw new InvalidRequest(`requested_token_type: only ${ACCESS_TOKEN_TYPE} is issued`);
  }
  const subjectToken = single(params, 'subject_token');
  if (subjectToken === undefined) throw new InvalidRequest('subject_token is required');
  const subjectTokenType = tokenType(params, 'subject_token_type');
  if (subjectTokenType === undefined) throw new InvalidRequest('subject_token_type is required');
  const actorToken = single(params, 'actor_token');
  const actorTokenType = tokenType(params, 'actor_token_type');
  if (actorToken === undefined && actorTokenType !== undefined) {
    throw new InvalidRequest('actor_token_type is only sent with actor_token');
  }
  if (actorToken !== undefined && actorTokenType === undefined) {
    throw new InvalidRequest('actor_token_type is required with actor_token');
  }
  return {
    subjectToken,
    subjectTokenType,
    actor: actorToken === undefined ? undefined : { token: actorToken, type: actorTokenType as InputTokenType },
  };
}

function tokenType(params: Params, name: string): InputTokenType | undefined {
  const type = single(params, name);
  if (type === undefined || isInputTokenType(type)) return type;
  throw new InvalidRequest(`${name}: must be ${ACCESS_TOKEN_TYPE} or urn:ietf:params:oauth:token-type:jwt`);
}

/** The new token, from an active subject: the policy, then the bounds. */
export function exchangedToken(
  client: StoredClient,
  subject: SubjectToken,
  params: Params,
  deps: Pick<Deps, 'defaultAudience' | 'now'>,
): GrantedToken {
  const m = client.metadata;
  if (
    m.token_exchange_subject_clients !== undefined &&
    (subject.clientId === undefined || !m.token_exchange_subject_clients.includes(subject.clientId))
  ) {
    throw new InvalidRequest("the client may not act for the subject token's client");
  }
  const act: Actor = { sub: client.clientId, ...(subject.act === undefined ? {} : { act: subject.act }) };
  if (actorCount(act) > Math.min(m.token_exchange_max_depth ?? DEFAULT_EXCHANGE_DEPTH, MAX_EXCHANGE_DEPTH)) {
    throw new InvalidRequest('the delegation chain would be longer than token_exchange_max_depth allows');
  }
  const scope = narrowedScope(m.scope, subject.scope, single(params, 'scope'));
  const audience = grantedAudience(m.audience, requestedAudience(params));
  const notAfter = subject.exp;
  return {
    clientId: client.clientId,
    subject: subject.sub,
    scope,
    scopes: scope === '' ? [] : scope.split(' '),
    audience: audience.length === 0 ? deps.defaultAudience : audience,
    ttl: Math.min(m.access_token_ttl, Math.max(1, notAfter - Math.floor(deps.now() / 1000))),
    claims: m.claims,
    format: m.access_token_format,
    act,
    chain: subject.chain,
    notAfter,
    issuedTokenType: ACCESS_TOKEN_TYPE,
    cnf: undefined,
  };
}

/** How many actors `act` names, itself and each nested one (bounded: a token read from outside may nest deeply). */
export function actorCount(act: Actor): number {
  let n = 0;
  for (let a: Actor | undefined = act; a !== undefined && n <= MAX_EXCHANGE_DEPTH; a = a.act) n++;
  return n;
}

/**
 * Within the client's allowed scopes and the subject's (a subject without
 * a scope claim bounds nothing). Omitted: all of both. Requested: each must
 * be within both, never widening: anything else is invalid_scope.
 */
export function narrowedScope(
  allowed: string,
  subjectScope: string | undefined,
  requested: string | undefined,
): string {
  // Both stored normalised: the same scopes on both sides, asked for as they are, need no lists.
  if ((subjectScope === undefined || subjectScope === allowed) && (requested === undefined || requested === allowed)) {
    return allowed;
  }
  const allowedList = allowed === '' ? [] : allowed.split(' ');
  const bound =
    subjectScope === undefined ? allowedList : allowedList.filter((s) => subjectScope.split(' ').includes(s));
  if (requested === undefined) return bound.join(' ');
  const wanted = [...new Set(requested.split(' ').filter(Boolean))];
  const refused = wanted.filter((s) => !bound.includes(s));
  if (refused.length > 0) {
    throw new InvalidScope(`scope not within the client's and the subject token's: ${refused.join(' ').slice(0, 200)}`);
  }
  return wanted.join(' ');
}

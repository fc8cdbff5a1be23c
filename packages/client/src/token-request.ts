import type { ClientAuthentication } from './client-auth.js';
import type { Clock, Timers } from './clock.js';
import type { DpopProver } from './dpop.js';
import { InvalidTokenResponseError, TokenEndpointError } from './errors.js';
import { type FetchLike, type HttpAnswer, httpRequest, parseJsonObject } from './http-request.js';
import { parseRetryAfter } from './retry.js';
import type { GrantParameters } from './token-exchange.js';

/** What the token endpoint granted (RFC 6749 §5.1). */
export interface TokenResponse {
  accessToken: string;
  /** Seconds, if the server said. */
  expiresIn: number | undefined;
  /** The granted scope, if the server said (it may differ from the requested one). */
  scope: string | undefined;
  /**
   * `DPoP` when the token is bound to the client's DPoP key, `Bearer`
   * otherwise, also when a DPoP request got a Bearer token (RFC 9449 §5
   * lets a server ignore the proof): it is then sent as a bearer token.
   */
  tokenType: 'Bearer' | 'DPoP';
}

export interface TokenRequestContext {
  fetch: FetchLike;
  timers: Timers;
  clock: Clock;
  timeout: number;
  auth: ClientAuthentication;
  /** `audience` (Tessera, Auth0…) or `resource` (RFC 8707). */
  audienceParameter: string;
  extraParameters: Readonly<Record<string, string>>;
  /** Proofs, when DPoP is on. */
  dpop?: DpopProver | undefined;
}

export interface TokenRequestTarget {
  tokenEndpoint: string;
  /** The assertion `aud`. */
  issuer: string;
  audience: readonly string[];
  /** Space-delimited; empty for "everything the client is allowed". */
  scope: string;
  /** Another grant than client credentials (token exchange), with its parameters. */
  grant?: GrantParameters | undefined;
}

/**
 * One client-credentials request (RFC 6749 §4.4.2), or another grant's
 * (`target.grant`, e.g. RFC 8693 token exchange), no retries, except the
 * one RFC 9449 §8 asks for: a server that wants a DPoP nonce answers 400
 * `use_dpop_nonce` with a `DPoP-Nonce`, and the request is made once more
 * with a proof carrying it (and new client credentials, since an assertion's
 * jti may already be spent).
 */
export async function requestToken(context: TokenRequestContext, target: TokenRequestTarget): Promise<TokenResponse> {
  const { dpop } = context;
  for (let attempt = 0; ; attempt++) {
    const answer = await sendTokenRequest(context, target);
    const nonceChanged = dpop?.rememberNonce(target.tokenEndpoint, answer.headers.get('dpop-nonce')) ?? false;
    if (answer.status >= 200 && answer.status < 300) {
      return parseTokenResponse(answer.body, dpop !== undefined, target.grant?.issuedTokenType);
    }
    const error = endpointError(answer, context.clock.now());
    if (answer.status === 401) context.auth.rejected?.();
    if (attempt === 0 && dpop && nonceChanged && error.error === 'use_dpop_nonce') continue;
    throw error;
  }
}

async function sendTokenRequest(context: TokenRequestContext, target: TokenRequestTarget): Promise<HttpAnswer> {
  const body = new URLSearchParams(context.extraParameters);
  const { grant } = target;
  body.set('grant_type', grant?.grantType ?? 'client_credentials');
  for (const [name, value] of grant?.parameters ?? []) body.append(name, value);
  if (target.scope) body.set('scope', target.scope);
  for (const audience of target.audience) body.append(context.audienceParameter, audience);
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded',
  };
  await context.auth.apply({ headers, body }, target.issuer, context.clock.now());
  if (context.dpop) headers.dpop = context.dpop.proof('POST', target.tokenEndpoint, context.clock.now());
  return httpRequest(
    context.fetch,
    context.timers,
    target.tokenEndpoint,
    { method: 'POST', headers, body: body.toString() },
    context.timeout,
  );
}

function parseTokenResponse(text: string, sentProof: boolean, issuedTokenType: string | undefined): TokenResponse {
  const json = parseJsonObject(text);
  if (!json) throw new InvalidTokenResponseError('token endpoint answered 200 without a JSON object');
  const { access_token, token_type, expires_in, scope, issued_token_type } = json;
  if (typeof access_token !== 'string' || access_token === '') {
    throw new InvalidTokenResponseError('token response has no access_token');
  }
  // RFC 8693 §2.2.1: anything but the access token asked for (an ID token, a SAML assertion) must not be sent as one.
  if (issuedTokenType !== undefined && issued_token_type !== undefined && issued_token_type !== issuedTokenType) {
    throw new InvalidTokenResponseError(`issued_token_type is not ${issuedTokenType}`);
  }
  // RFC 6749 requires token_type; a few servers omit it. DPoP is presentable only with the key that asked for it.
  const type = typeof token_type === 'string' ? token_type.toLowerCase() : token_type;
  const tokenType =
    type === undefined || type === 'bearer' ? 'Bearer' : type === 'dpop' && sentProof ? 'DPoP' : undefined;
  if (tokenType === undefined) {
    throw new InvalidTokenResponseError(
      `token_type ${JSON.stringify(token_type)} is not ${sentProof ? 'Bearer or DPoP' : 'Bearer'}`,
    );
  }
  return { accessToken: access_token, expiresIn: parseExpiresIn(expires_in), scope: parseScope(scope), tokenType };
}

function parseExpiresIn(value: unknown): number | undefined {
  // Some servers send it as a string; RFC 6749 only says "lifetime in seconds".
  const seconds = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (seconds === undefined || seconds === null) return undefined;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidTokenResponseError('token response has an invalid expires_in');
  }
  return seconds;
}

function parseScope(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function endpointError(answer: HttpAnswer, now: number): TokenEndpointError {
  const json = parseJsonObject(answer.body);
  const text = (field: string) => (typeof json?.[field] === 'string' ? (json[field] as string) : undefined);
  return new TokenEndpointError({
    status: answer.status,
    error: text('error'),
    errorDescription: text('error_description'),
    errorUri: text('error_uri'),
    retryAfterMs: parseRetryAfter(answer.headers.get('retry-after'), now),
  });
}

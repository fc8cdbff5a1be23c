import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';
import type { StoredClient } from '../clients/client.js';
import { secretContext } from '../crypto/sealed-contexts.js';
import type { Sealer } from '../crypto/sealer.js';
import { InvalidClient, InvalidRequest } from '../errors/index.js';
import type { ReplayStore } from '../store/types.js';
import { isCanonicalCompactJws } from '../tokens/base64url.js';
import type { RemoteJwksCache } from './remote-jwks.js';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Asymmetric algorithms accepted for private_key_jwt (never `none`, never
 * HMAC). `Ed25519` is the fully-specified name of RFC 9864, which
 * oauth4webapi sends for Ed25519 keys.
 */
export const PRIVATE_KEY_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
export const SECRET_ALGS = ['HS256', 'HS384', 'HS512'];
/** Clock skew allowed on `nbf`/`iat`/`exp`. */
const SKEW_SECONDS = 60;
/** Longest lifetime left on an assertion: an hour (Authlib's default) plus skew. */
const MAX_REMAINING_SECONDS = 3600 + 5 * 60;

export interface AssertionContext {
  sealer: Sealer;
  replay: ReplayStore;
  remoteJwks: RemoteJwksCache;
  /** Acceptable `aud` values: the issuer and the token endpoint URL (RFC 7523 §3, CONTRACT.md). */
  audiences: ReadonlySet<string>;
  nowMs: number;
}

/** The client an assertion claims to come from (`iss`, which must equal `sub`). Unverified. */
export function assertionClientId(assertion: string): string {
  let payload: JWTPayload;
  try {
    payload = decodeJwt(assertion);
  } catch {
    throw new InvalidClient('client_assertion is not a JWT', 'bad_assertion');
  }
  if (typeof payload.iss !== 'string' || payload.iss === '' || payload.sub !== payload.iss) {
    throw new InvalidClient('client_assertion iss and sub must both be the client_id', 'bad_assertion');
  }
  return payload.iss;
}

/** The `alg` of an assertion decides which of the two methods it is. */
export function assertionMethod(assertion: string): 'private_key_jwt' | 'client_secret_jwt' {
  try {
    const { alg } = decodeProtectedHeader(assertion);
    return typeof alg === 'string' && alg.startsWith('HS') ? 'client_secret_jwt' : 'private_key_jwt';
  } catch {
    throw new InvalidClient('client_assertion header is malformed', 'bad_assertion');
  }
}

/**
 * RFC 7523 §3 checks on a client assertion, then its `jti` is spent:
 * single use until it expires, atomically in the store (a replayed assertion
 * fails however many copies race).
 */
export async function verifyAssertion(client: StoredClient, assertion: string, ctx: AssertionContext): Promise<void> {
  const method = client.metadata.token_endpoint_auth_method;
  let payload: JWTPayload;
  try {
    const options = {
      algorithms: method === 'client_secret_jwt' ? SECRET_ALGS : PRIVATE_KEY_ALGS,
      issuer: client.clientId,
      subject: client.clientId,
      audience: [...ctx.audiences],
      clockTolerance: SKEW_SECONDS,
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(ctx.nowMs),
    };
    if (method === 'client_secret_jwt') {
      payload = await verifyWithSecrets(client, assertion, ctx, options);
    } else {
      const keys = client.metadata.jwks
        ? createLocalJWKSet(client.metadata.jwks)
        : ctx.remoteJwks.get(client.metadata.jwks_uri as string);
      payload = (await jwtVerify(assertion, keys, options)).payload;
    }
  } catch (err) {
    if (err instanceof InvalidClient) throw err;
    throw new InvalidClient(`client_assertion rejected: ${describe(err)}`, 'bad_assertion');
  }
  const now = Math.floor(ctx.nowMs / 1000);
  const exp = payload.exp as number;
  if (exp - now > MAX_REMAINING_SECONDS)
    throw new InvalidClient('client_assertion exp is too far in the future', 'bad_assertion');
  if (typeof payload.iat === 'number' && payload.iat > now + SKEW_SECONDS) {
    throw new InvalidClient('client_assertion iat is in the future', 'bad_assertion');
  }
  // RFC 7519 §4.1.7: a string. jose checks only that it is there, and a number would spend as its text.
  const { jti } = payload;
  if (typeof jti !== 'string' || jti === '')
    throw new InvalidClient('client_assertion jti is not a string', 'bad_assertion');
  if (jti.length > 256) throw new InvalidClient('client_assertion jti is too long', 'bad_assertion');
  const firstUse = await ctx.replay.useOnce(replayKey(client.clientId, jti), (exp + SKEW_SECONDS) * 1000, ctx.nowMs);
  if (!firstUse) throw new InvalidClient('client_assertion jti was already used', 'replayed_assertion');
}

/**
 * A jti is unique per client, not globally. The key is a digest of the
 * length-prefixed pair: fixed size, unambiguous, and free of bytes (NUL)
 * that a store may refuse.
 */
function replayKey(clientId: string, jti: string): string {
  return createHash('sha256').update(`${clientId.length}:${clientId}:${jti}`).digest('base64url');
}

/** client_secret_jwt: the HMAC key is the (unsealed) client secret; any unexpired one. */
async function verifyWithSecrets(
  client: StoredClient,
  assertion: string,
  ctx: AssertionContext,
  options: Parameters<typeof jwtVerify>[2],
): Promise<JWTPayload> {
  let lastError: unknown = new Error('no recoverable secret');
  for (const s of client.secrets) {
    if (!s.sealed || (s.expiresAt !== null && s.expiresAt <= ctx.nowMs)) continue;
    const key = ctx.sealer.open(s.sealed, secretContext(client.clientId, s.id));
    try {
      return (await jwtVerify(assertion, key, options)).payload;
    } catch (err) {
      lastError = err;
      if (!(err instanceof errors.JWSSignatureVerificationFailed)) break;
    }
  }
  throw lastError;
}

/** Assertion parameters must come as a pair with the right type. */
export function readAssertionParams(type: string | undefined, assertion: string | undefined): string {
  if (!assertion) throw new InvalidRequest('client_assertion is required with client_assertion_type');
  if (!type) throw new InvalidRequest('client_assertion_type is required with client_assertion');
  if (type !== ASSERTION_TYPE)
    throw new InvalidClient(`unsupported client_assertion_type ${type.slice(0, 100)}`, 'bad_assertion');
  if (assertion.length > 16 * 1024) throw new InvalidClient('client_assertion is too large', 'bad_assertion');
  // Before jose, whose decoder (atob on Node 20) skips whitespace and ignores padding and unused bits.
  if (!isCanonicalCompactJws(assertion)) {
    throw new InvalidClient('client_assertion is not a JWS in canonical base64url', 'bad_assertion');
  }
  return assertion;
}

function describe(err: unknown): string {
  if (err instanceof errors.JOSEError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : 'unknown error';
}

import { readFile, stat } from 'node:fs/promises';
import type { Clock } from './clock.js';
import { ClientAssertionError, TokenClientConfigError } from './errors.js';
import { subjectExpiry } from './token-exchange.js';

/** RFC 7523 §2.2: any JWT the server trusts, here a platform's (Kubernetes, CI) token. */
export const JWT_BEARER_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** draft-ietf-oauth-spiffe-client-auth: a SPIFFE JWT-SVID. */
export const JWT_SPIFFE_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-spiffe';

/** The short names, or the URIs themselves. */
export type ClientAssertionType = 'jwt-bearer' | 'jwt-spiffe' | typeof JWT_BEARER_TYPE | typeof JWT_SPIFFE_TYPE;

/** Gives the platform's token for the next token request, e.g. a CI job's OIDC token. */
export type ClientAssertionProvider = () => Promise<string> | string;

/**
 * An assertion is not reused once less than this is left of it: it must
 * still be valid when it reaches the server, whose clock may run ahead.
 */
const MIN_REMAINING_MS = 30_000;

/** Where the platform's token comes from; reused while it is the same and unexpired. */
export interface PlatformAssertionSource {
  get(): Promise<string>;
  /** The server refused the last one: the next request reads or asks afresh. */
  forget(): void;
}

export function assertionTypeUri(type: string | undefined): string {
  if (type === undefined || type === 'jwt-bearer' || type === JWT_BEARER_TYPE) return JWT_BEARER_TYPE;
  if (type === 'jwt-spiffe' || type === JWT_SPIFFE_TYPE) return JWT_SPIFFE_TYPE;
  throw new TokenClientConfigError("clientAssertionType must be 'jwt-bearer' or 'jwt-spiffe'");
}

interface Cached {
  assertion: string;
  /** Epoch ms after which it is not reused. */
  reuseUntil: number;
  /** For a file: what `stat` said when it was read. */
  version?: string;
}

/**
 * The token a platform keeps in a file (a Kubernetes projected
 * service-account token, a JWT-SVID written by spiffe-helper). Each token
 * request costs one `stat`; the file is read again when it changed (the
 * kubelet swaps a new one in before the old expires) or when the token read
 * last is about to expire, whatever `stat` says.
 */
export function fileAssertionSource(path: string, clock: Clock): PlatformAssertionSource {
  let cached: Cached | undefined;
  return {
    async get() {
      let version: string;
      try {
        // stat follows symlinks: the kubelet's atomic swap of `..data` gives a new inode and mtime.
        const info = await stat(path, { bigint: true });
        version = `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}`;
      } catch (error) {
        throw new ClientAssertionError(`cannot read clientAssertionFile ${path}: ${codeOf(error)}`, error);
      }
      const now = clock.now();
      if (cached && cached.version === version && now < cached.reuseUntil) return cached.assertion;
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        throw new ClientAssertionError(`cannot read clientAssertionFile ${path}: ${codeOf(error)}`, error);
      }
      const assertion = checkShape(text.trim(), `clientAssertionFile ${path}`);
      cached = { assertion, reuseUntil: reuseUntil(assertion), version };
      return assertion;
    },
    forget() {
      cached = undefined;
    },
  };
}

/** A function that fetches the token (a CI job asking its runner for an OIDC token); its answer is reused until shortly before it expires. */
export function providerAssertionSource(provider: ClientAssertionProvider, clock: Clock): PlatformAssertionSource {
  let cached: Cached | undefined;
  let pending: Promise<string> | undefined;
  const ask = async () => {
    let value: unknown;
    try {
      value = await provider();
    } catch (error) {
      // The provider's own message may quote what it fetched: keep it as the cause only.
      throw new ClientAssertionError('clientAssertion failed', error);
    }
    if (typeof value !== 'string') throw new ClientAssertionError('clientAssertion did not return a string');
    const assertion = checkShape(value.trim(), 'clientAssertion');
    cached = { assertion, reuseUntil: reuseUntil(assertion) };
    return assertion;
  };
  return {
    get() {
      if (cached && clock.now() < cached.reuseUntil) return Promise.resolve(cached.assertion);
      // Token requests for several audiences at once share one call.
      pending ??= ask().finally(() => {
        pending = undefined;
      });
      return pending;
    },
    forget() {
      cached = undefined;
    },
  };
}

/** Until shortly before `exp`; never past it. Without a readable `exp`, not reused by time at all. */
function reuseUntil(assertion: string): number {
  const exp = subjectExpiry(assertion);
  return exp === undefined ? 0 : exp - MIN_REMAINING_MS;
}

const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** A half-written or wrong file fails here, with a clear error, rather than as `invalid_client`. */
function checkShape(assertion: string, where: string): string {
  if (!COMPACT_JWS.test(assertion)) throw new ClientAssertionError(`${where} does not hold a JWT`);
  return assertion;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'failed';
}

import { createRemoteJWKSet, customFetch, type RemoteJWKSet } from 'jose';
import { BoundedCache } from '../clients/bounded-cache.js';

/** Largest JWKS document we read from a client's jwks_uri. */
const MAX_JWKS_BYTES = 64 * 1024;

/**
 * One cached remote key set per jwks_uri, built on jose's createRemoteJWKSet
 * (one in-flight fetch shared by all waiters, a timeout, a cache max age and
 * a cooldown between refetches when an unknown kid shows up), plus a size cap
 * and no redirects. jwks_uri values come only from the admin API (see the
 * SSRF note in docs/security.md).
 */
export class RemoteJwksCache {
  readonly #sets = new BoundedCache<string, RemoteJWKSet>(1000);

  constructor(
    /** Least time between two fetches of one URI when an unknown kid shows up. */
    private readonly cooldownMs = 30_000,
    private readonly timeoutMs = 5000,
  ) {}

  get(uri: string): RemoteJWKSet {
    let set = this.#sets.get(uri, Date.now());
    if (!set) {
      set = createRemoteJWKSet(new URL(uri), {
        timeoutDuration: this.timeoutMs,
        cooldownDuration: this.cooldownMs,
        cacheMaxAge: 10 * 60_000,
        [customFetch]: cappedFetch,
      });
      this.#sets.set(uri, set);
    }
    return set;
  }
}

async function cappedFetch(url: string, options: RequestInit): Promise<Response> {
  const response = await fetch(url, { ...options, redirect: 'error' });
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_JWKS_BYTES) throw new Error('jwks_uri response too large');
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_JWKS_BYTES) {
        await reader.cancel();
        throw new Error('jwks_uri response too large');
      }
      chunks.push(value);
    }
  }
  return new Response(Buffer.concat(chunks), { status: response.status, headers: response.headers });
}

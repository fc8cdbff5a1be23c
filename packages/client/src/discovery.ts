import type { Clock, Timers } from './clock.js';
import { DiscoveryError, TokenClientError } from './errors.js';
import { type FetchLike, httpRequest, parseJsonObject } from './http-request.js';
import { parseRetryAfter } from './retry.js';

/** The parts of RFC 8414 metadata the client uses. */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  token_endpoint_auth_methods_supported?: string[];
  token_endpoint_auth_signing_alg_values_supported?: string[];
  /** RFC 8705 §5: endpoints to use with a client certificate. */
  mtls_endpoint_aliases?: { token_endpoint?: string; [endpoint: string]: string | undefined };
  dpop_signing_alg_values_supported?: string[];
  [field: string]: unknown;
}

/**
 * RFC 8414 §3.1 puts the well-known segment between host and path
 * (`https://as/.well-known/oauth-authorization-server/tenant`); OpenID
 * Connect Discovery appends it (`https://as/tenant/.well-known/openid-configuration`).
 * For an issuer without a path both are `${issuer}/.well-known/…`.
 */
export function discoveryUrls(issuer: string): [string, string] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  const origin = url.origin;
  return [
    `${origin}/.well-known/oauth-authorization-server${path}`,
    `${origin}${path}/.well-known/openid-configuration`,
  ];
}

export interface DiscoveryContext {
  issuer: string;
  fetch: FetchLike;
  timers: Timers;
  clock: Clock;
  timeout: number;
}

/**
 * Fetches the metadata, trying RFC 8414 first and OpenID Connect Discovery
 * second. Only a 4xx on the first document moves on to the second: a 5xx or
 * a network failure is the server's trouble, not a missing document, and is
 * left to the caller's retry policy.
 */
export async function fetchMetadata(context: DiscoveryContext): Promise<AuthorizationServerMetadata> {
  const [rfc8414, oidc] = discoveryUrls(context.issuer);
  let lastStatus = 0;
  for (const url of [rfc8414, oidc]) {
    const answer = await httpRequest(
      context.fetch,
      context.timers,
      url,
      { method: 'GET', headers: { accept: 'application/json' } },
      context.timeout,
    );
    if (answer.status >= 200 && answer.status < 300) return validateMetadata(answer.body, context.issuer, url);
    if (answer.status >= 500 || answer.status === 429) {
      throw new DiscoveryError(`${url} answered ${answer.status}`, {
        status: answer.status,
        retryable: true,
        ...retryAfter(answer.headers, context.clock),
      });
    }
    lastStatus = answer.status;
  }
  throw new DiscoveryError(`no authorization server metadata for issuer ${context.issuer} (${lastStatus})`, {
    status: lastStatus,
  });
}

function retryAfter(headers: Headers, clock: Clock): { retryAfterMs?: number } {
  const ms = parseRetryAfter(headers.get('retry-after'), clock.now());
  return ms === undefined ? {} : { retryAfterMs: ms };
}

function validateMetadata(body: string, issuer: string, url: string): AuthorizationServerMetadata {
  const metadata = parseJsonObject(body);
  if (!metadata) throw new DiscoveryError(`${url} is not a JSON object`);
  // RFC 8414 §3.3: a document naming another issuer must not be used (it could redirect our credentials).
  // Only a trailing slash is forgiven, the most common way to write the same issuer twice.
  if (typeof metadata.issuer !== 'string' || metadata.issuer.replace(/\/$/, '') !== issuer.replace(/\/$/, '')) {
    throw new DiscoveryError(`${url} names issuer ${JSON.stringify(metadata.issuer)}, expected ${issuer}`);
  }
  if (typeof metadata.token_endpoint !== 'string' || !URL.canParse(metadata.token_endpoint)) {
    throw new DiscoveryError(`${url} has no valid token_endpoint`);
  }
  const aliases = metadata.mtls_endpoint_aliases;
  if (aliases !== undefined) {
    const alias = (aliases as Record<string, unknown> | null)?.token_endpoint;
    if (
      typeof aliases !== 'object' ||
      aliases === null ||
      (alias !== undefined && (typeof alias !== 'string' || !URL.canParse(alias)))
    ) {
      throw new DiscoveryError(`${url} has invalid mtls_endpoint_aliases`);
    }
  }
  return metadata as AuthorizationServerMetadata;
}

/**
 * The metadata, fetched once and shared: concurrent callers wait for the same
 * request, and after `maxAge` the next caller refreshes it. If a refresh
 * fails the previous document is kept, since an endpoint rarely moves.
 */
export class MetadataCache {
  private value: AuthorizationServerMetadata | undefined;
  private fetchedAt = 0;
  private inflight: Promise<AuthorizationServerMetadata> | undefined;

  constructor(
    private readonly context: DiscoveryContext,
    private readonly maxAge: number,
  ) {}

  get(): Promise<AuthorizationServerMetadata> {
    if (this.value && this.context.clock.now() - this.fetchedAt < this.maxAge) return Promise.resolve(this.value);
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refresh(): Promise<AuthorizationServerMetadata> {
    try {
      const metadata = await fetchMetadata(this.context);
      this.value = metadata;
      this.fetchedAt = this.context.clock.now();
      return metadata;
    } catch (error) {
      if (this.value && error instanceof TokenClientError && error.retryable) return this.value;
      throw error;
    }
  }
}

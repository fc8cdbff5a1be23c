import type { Logger } from 'pino';
import type { AuditActors } from '../admin/audit-actor.js';
import type { DpopDeps } from '../binding/dpop-binding.js';
import type { ClientAuthDeps } from '../client-auth/deps.js';
import type { ClientRegistry } from '../clients/client-registry.js';
import type { Config } from '../config/load-config.js';
import type { SecretHasher } from '../crypto/secret-hasher.js';
import type { TrustedIssuers } from '../federation/trusted-issuers.js';
import type { GrantDeps } from '../grants/grant.js';
import type { ActivityCounter } from '../metrics/activity-counter.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Throttle } from '../rate-limit/throttle.js';
import type { StatusLists } from '../status/status-lists.js';
import type { RevocationStore, Store } from '../store/types.js';
import type { SigningKeys } from '../tokens/signing-keys.js';
import type { VerifiedJwts } from '../tokens/verified-jwts.js';

/** The absolute URLs of our endpoints, all under the issuer. */
export interface Endpoints {
  token: string;
  introspection: string;
  revocation: string;
  jwks: string;
}

export const PATHS = {
  token: '/oauth2/token',
  introspection: '/oauth2/introspect',
  revocation: '/oauth2/revoke',
  jwks: '/.well-known/jwks.json',
} as const;

/**
 * Everything the endpoints share, built once at start-up by `createTessera`.
 * Each endpoint takes only what it uses from it.
 */
export interface ServerContext {
  readonly config: Config;
  readonly issuer: string;
  readonly endpoints: Endpoints;
  readonly store: Store;
  /** The JWT denylist: Redis when configured, else the store. */
  readonly revocations: RevocationStore;
  /** Resolves when the store answers (for /readyz; Redis is reported, not required: docs/deployment.md). */
  readonly checkReady: () => Promise<void>;
  /** Set once shutdown begins: /readyz then sends the load balancer elsewhere. */
  readonly lifecycle: { draining: boolean };
  readonly clients: ClientRegistry;
  /** Issuers whose tokens authenticate workloads (federated_jwt), all in memory. */
  readonly trustedIssuers: TrustedIssuers;
  readonly keys: SigningKeys;
  /** Our own JWTs, each signature checked once (introspection, token exchange). */
  readonly verifiedJwts: VerifiedJwts;
  /** Keyed hash for opaque access tokens (its own key, apart from client secrets). */
  readonly tokenHasher: SecretHasher;
  readonly auth: ClientAuthDeps;
  /** Binding tokens to DPoP keys (RFC 9449): the replay store and, when required, server nonces. */
  readonly dpop: DpopDeps;
  /** What grants may use (each takes its slice). */
  readonly grants: GrantDeps;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Tokens issued and failed authentications per minute, for GET /admin/activity. */
  readonly activity: ActivityCounter;
  /** Names the admin key or console session of an audit entry without revealing it. */
  readonly auditActors: AuditActors;
  readonly throttle: Throttle;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  readonly now: () => number;
  /** Status lists (draft-ietf-oauth-status-list) for JWTs; undefined when TESSERA_STATUS_LISTS is false. */
  readonly statusLists: StatusLists | undefined;
}

export function endpointsFor(issuer: string): Endpoints {
  return {
    token: issuer + PATHS.token,
    introspection: issuer + PATHS.introspection,
    revocation: issuer + PATHS.revocation,
    jwks: issuer + PATHS.jwks,
  };
}

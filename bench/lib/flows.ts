import type { Alg, TesseraOptions } from './targets.js';

/**
 * The token requests beyond the plain one, each measured side by side with
 * the plain request of the same algorithm (client_credentials,
 * client_secret_basic), taking turns. A new flow is an entry here: what
 * `--only` calls it, and the server and client settings that make it.
 */
export interface Flow {
  /** The name `npm run bench -- --only <key>` selects it by. */
  key: string;
  /** As the report shows it. */
  name: string;
  alg: Alg;
  /** Its settings over the plain case's; `work` is a scratch directory. */
  options(work: string): Partial<TesseraOptions>;
}

export const PLAIN = 'plain (client_secret_basic, Bearer)';

/** Every new flow must reach this share of the plain request's throughput (issue 32). */
export const FLOW_GOAL = 0.8;

export const FLOWS: readonly Flow[] = [
  {
    key: 'dpop',
    name: 'DPoP-bound (RFC 9449 proof per request)',
    alg: 'ES256',
    options: (work) => ({ clientMetadata: { dpop_bound_access_tokens: true }, dpopDir: work }),
  },
];

/** Introspection (RFC 7662) of one token, Tessera's JWT and opaque against oidc-provider's opaque (it keeps no JWTs to introspect). */
export const INTROSPECTION_GOAL = 2;

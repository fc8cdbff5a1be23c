import { type Alg, BODY, type Target, type TesseraOptions } from './targets.js';

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
  /** What to do once the server is up, before it is measured: e.g. get a token the request then carries. */
  prepare?(target: Target): Promise<Target>;
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

export const PLAIN = 'plain (client_secret_basic, Bearer)';

/** Every new flow must reach this share of the plain request's throughput (issue 32). */
export const FLOW_GOAL = 0.8;

export const FLOWS: readonly Flow[] = [
  {
    // Issue 30: the plain case carries a status list entry; this one does not. Plain ≥ 0.97× of it.
    // EdDSA, the cheapest signature: where the claim's share of the work is largest.
    key: 'status-off',
    name: 'without status lists (TESSERA_STATUS_LISTS=false; issue 30 goal: plain ≥ 0.97× this, i.e. ÷ plain ≤ 1.03)',
    alg: 'EdDSA',
    options: () => ({ env: { TESSERA_STATUS_LISTS: 'false' } }),
  },
  {
    key: 'dpop',
    name: 'DPoP-bound (RFC 9449 proof per request)',
    alg: 'ES256',
    options: (work) => ({ clientMetadata: { dpop_bound_access_tokens: true }, dpopDir: work }),
  },
  {
    key: 'exchange',
    name: 'token exchange (RFC 8693, a JWT subject token)',
    alg: 'ES256',
    // The client exchanges its own token (act names itself): one client, as in the plain case. An hour's
    // subject outlives any run, and every exchanged token is as long-lived as the plain case's.
    options: () => ({
      clientMetadata: { grant_types: ['client_credentials', TOKEN_EXCHANGE], access_token_ttl: 3600 },
    }),
    prepare: async (t) => {
      const r = await fetch(t.tokenUrl, {
        method: 'POST',
        headers: { authorization: t.creds.auth ?? '', 'content-type': 'application/x-www-form-urlencoded' },
        body: BODY,
      });
      const { access_token: subject } = (await r.json()) as { access_token?: string };
      if (!subject) throw new Error(`no subject token from ${t.tokenUrl}: ${r.status}`);
      const body = new URLSearchParams({
        grant_type: TOKEN_EXCHANGE,
        subject_token: subject,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        scope: 'a b',
      });
      return { ...t, creds: { ...t.creds, body: body.toString() } };
    },
  },
];

/** Introspection (RFC 7662) of one token, Tessera's JWT and opaque against oidc-provider's opaque (it keeps no JWTs to introspect). */
export const INTROSPECTION_GOAL = 2;

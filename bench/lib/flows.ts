import { CLIENT_DN, makeCertificates, type TestCertificates } from '../../packages/server/test/openssl-certificates.js';
import { federatedMetadata, preparePlatformToken } from './federated.js';
import {
  type Alg,
  BODY,
  call,
  registerClient,
  type Target,
  type TesseraOptions,
  type TesseraTarget,
} from './targets.js';

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
  /** How requests reach the server (default `http`); a plain request is measured the same way beside it. */
  transport?: Transport;
  /** A server capability it needs; without it (an older build) the flow is reported as not measured. */
  needs?: Feature;
  /** Its settings over the plain case's; `work` is a scratch directory. */
  options(work: string): Partial<TesseraOptions>;
  /** What to do once the server is up, before it is measured: e.g. get a token the request then carries. */
  prepare?(target: TesseraTarget): Promise<Target>;
}

/** Capabilities that not every build has, found in its discovery document before the parts that need them. */
export type Feature = 'federated_jwt' | 'status_lists';

/**
 * The key of issue 30's flow without status lists (TESSERA_STATUS_LISTS=false), where the build has it: the
 * plain request beside it carries the status claim, so plain ÷ it is the status lists' cost on issuance (goal
 * ≥ 0.97), not a new flow held to FLOW_GOAL.
 */
export const STATUS_OFF = 'status-off';

/** The `--only` part of trusted-issuer authentication: its flow row and 100,000 federated clients against one. */
export const FEDERATION = 'federated';

/**
 * How the load reaches the server. `http`: wrk, kept-alive connections, as every other table. The HTTPS
 * ones: bench/lib/tls-load.ts (wrk cannot present a client certificate), with a new TLS connection per
 * request (a full handshake each, `Connection: close`) or kept-alive connections; the server serves
 * HTTPS with TESSERA_TLS_CLIENT_CA set, so it requests a certificate on every connection.
 */
export type Transport = 'http' | 'https-new' | 'https-reused';

const TRANSPORT_NAMES: Record<Transport, string> = {
  http: 'HTTP',
  'https-new': 'HTTPS, a new TLS connection per request',
  'https-reused': 'HTTPS, kept-alive TLS connections',
};

/** The flows table's first column: the algorithm, and the transport where it is not plain HTTP. */
export const flowLabel = (alg: Alg, transport: Transport = 'http') =>
  transport === 'http' ? alg : `${alg}, ${TRANSPORT_NAMES[transport]}`;

let certs: TestCertificates | undefined;
/** The run's certificates (openssl, ECDSA P-256): the server's, a client's, and the CA that issued both. */
export function certificates(): TestCertificates {
  certs ??= makeCertificates();
  return certs;
}
export function removeCertificates(): void {
  certs?.remove();
  certs = undefined;
}

/** The server settings a transport needs, for the plain request and the flows alike. */
export function transportOptions(transport: Transport = 'http'): Partial<TesseraOptions> {
  if (transport === 'http') return {};
  const c = certificates();
  return {
    tls: {
      cert: c.server.cert,
      key: c.server.key,
      clientCa: c.ca.cert,
      ca: c.ca.pem,
      newConnection: transport === 'https-new',
    },
  };
}

/**
 * RFC 8705: a tls_client_auth client whose tokens are bound to its certificate. The first token is checked
 * for the certificate's thumbprint before the run, so the row measures the bound flow and nothing else.
 */
async function mtlsBound(t: TesseraTarget): Promise<Target> {
  const c = certificates();
  const client = await registerClient(t, 'jwt', {
    token_endpoint_auth_method: 'tls_client_auth',
    tls_client_auth_subject_dn: CLIENT_DN,
    tls_client_certificate_bound_access_tokens: true,
  });
  const body = `${BODY}&client_id=${encodeURIComponent(client.client_id)}`;
  const cert = { cert: c.client.cert, key: c.client.key };
  const r = await call(
    t.tokenUrl,
    { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body },
    { ca: t.ca, cert },
  );
  const token = (JSON.parse(r.text) as { access_token?: string }).access_token ?? '';
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString() || '{}') as {
    cnf?: Record<string, string>;
  };
  if (r.status !== 200 || claims.cnf?.['x5t#S256'] !== c.thumbprint(c.client))
    throw new Error(`no certificate-bound token from ${t.tokenUrl}: ${r.status} ${r.text.slice(0, 200)}`);
  return { ...t, creds: { body, tls: { newConnection: t.creds.tls?.newConnection ?? false, ...cert } } };
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

export const PLAIN = 'plain (client_secret_basic, Bearer)';

/** Every new flow must reach this share of the plain request's throughput (issue 32). */
export const FLOW_GOAL = 0.8;

const MTLS = 'mTLS-bound (RFC 8705 tls_client_auth, tls_client_certificate_bound_access_tokens)';

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
  { key: 'mtls', name: MTLS, alg: 'ES256', transport: 'https-new', options: () => ({}), prepare: mtlsBound },
  { key: 'mtls', name: MTLS, alg: 'ES256', transport: 'https-reused', options: () => ({}), prepare: mtlsBound },
  {
    // Against client_secret_basic here; 100,000 federated clients against one is the suite's `federated` group.
    key: FEDERATION,
    name: 'trusted issuer (federated_jwt, a reused platform token, no client_id)',
    alg: 'ES256',
    needs: 'federated_jwt',
    options: () => ({ clientMetadata: federatedMetadata(0) }),
    prepare: (t) => preparePlatformToken(t, 0),
  },
];

/** Introspection (RFC 7662) of one token, Tessera's JWT and opaque against oidc-provider's opaque (it keeps no JWTs to introspect). */
export const INTROSPECTION_GOAL = 2;

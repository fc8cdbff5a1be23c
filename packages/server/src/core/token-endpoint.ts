import { bindTokenToCertificate } from '../binding/certificate-binding.js';
import { checkDpop, type DpopBinding, proofRequired } from '../binding/dpop-binding.js';
import { authenticateClient } from '../client-auth/authenticate.js';
import type { StoredClient } from '../clients/client.js';
import { InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from '../errors/index.js';
import { grantFor, type RegisteredGrant } from '../grants/registry.js';
import type { StatusLists } from '../status/status-lists.js';
import type { GrantedToken, IssuedToken } from '../tokens/granted-token.js';
import { issueJwt } from '../tokens/jwt-access-token.js';
import { issueOpaque } from '../tokens/opaque-access-token.js';
import { tokenResponseJson } from '../tokens/token-response.js';
import type { ServerContext } from './context.js';
import { type MaybePromise, runSteps, type Step } from './maybe-async.js';
import { rejectRepeated } from './params.js';
import type { TokenRequest } from './token-request.js';

/** What the token endpoint uses of the server. */
export type TokenEndpointDeps = Pick<
  ServerContext,
  'auth' | 'grants' | 'throttle' | 'keys' | 'issuer' | 'store' | 'tokenHasher' | 'now' | 'dpop' | 'statusLists'
>;

export interface TokenResult {
  /** The response body (RFC 6749 §5.1), as JSON. */
  json: string;
  clientId: string;
  format: 'jwt' | 'opaque';
  alg: string;
  /** A fresh server nonce for the `DPoP-Nonce` header (RFC 9449 §8), when nonces are required. */
  dpopNonce: string | undefined;
}

/** One token request on its way through the steps; each step fills in what the next ones read. */
class TokenFlow {
  grant!: RegisteredGrant;
  client!: StoredClient;
  token!: GrantedToken;
  issued!: IssuedToken;
  /** The key a DPoP proof proved; undefined without a proof. */
  dpop: DpopBinding | undefined = undefined;
  constructor(
    readonly deps: TokenEndpointDeps,
    readonly request: TokenRequest,
  ) {}
}

/**
 * The token endpoint as named steps (after oidc-provider's
 * `lib/actions/token.js`). A step returns a promise only when it must wait
 * (a store read, a rate-limit counter, an opaque token's row, an
 * assertion), so a JWT for a cached client is answered synchronously: the
 * hot path. A new capability (a binding, an audit) is a step in this list.
 */
const STEPS: readonly Step<TokenFlow>[] = [
  selectGrant,
  rejectRepeatedParams,
  authenticate,
  checkGrantAllowed,
  checkDpopProof,
  applyGrant,
  bindToDpopKey,
  bindToCertificate,
  limitIssuance,
  issue,
];

export function handleTokenRequest(deps: TokenEndpointDeps, request: TokenRequest): MaybePromise<TokenResult> {
  const flow = new TokenFlow(deps, request);
  const done = runSteps(STEPS, flow);
  return done instanceof Promise ? done.then(() => result(flow)) : result(flow);
}

function selectGrant(f: TokenFlow): void {
  const types = f.request.params.get('grant_type');
  const type = types?.[0];
  if (!type) throw new InvalidRequest('grant_type is required');
  if ((types?.length ?? 0) > 1) throw new InvalidRequest('repeated parameter: grant_type');
  const grant = grantFor(type);
  if (!grant) throw new UnsupportedGrantType(`grant_type ${type.slice(0, 64)} is not supported`);
  f.grant = grant;
}

/** RFC 6749 §3.1, with the grant's own list of parameters that may repeat. */
function rejectRepeatedParams(f: TokenFlow): void {
  rejectRepeated(f.request.params, f.grant.repeatable);
}

function authenticate(f: TokenFlow): void | Promise<void> {
  const authenticated = authenticateClient(f.deps.auth, f.request);
  if (authenticated instanceof Promise) {
    return authenticated.then((a) => {
      f.client = a.client;
    });
  }
  f.client = authenticated.client;
}

/** The one place that decides whether a client may use a grant: its registered `grant_types`. */
function checkGrantAllowed(f: TokenFlow): void {
  const { type } = f.grant.grant;
  if (!(f.client.metadata.grant_types as readonly string[]).includes(type)) {
    throw new UnauthorizedClient(`the client is not allowed the ${type} grant`);
  }
}

/**
 * RFC 9449: a proof, when there is one, is checked only now that the client
 * has authenticated (as oidc-provider does): a stranger can neither spend a
 * client's proof jtis nor learn anything from the proof checks. Without a
 * proof, and for a client not bound to DPoP, this is two comparisons.
 */
function checkDpopProof(f: TokenFlow): void | Promise<void> {
  const { request } = f;
  if (request.dpop === undefined) {
    if (f.client.metadata.dpop_bound_access_tokens === true) throw proofRequired();
    return;
  }
  return checkDpop(f.deps.dpop, { dpop: request.dpop, method: request.method, url: request.url }).then((binding) => {
    f.dpop = binding;
  });
}

/** RFC 9449 §6: the token is bound to the proven key (`cnf.jkt`), beside any other binding a step made. */
function bindToDpopKey(f: TokenFlow): void {
  if (f.dpop === undefined) return;
  f.token.cnf = { ...f.token.cnf, jkt: f.dpop.jkt };
}

function applyGrant(f: TokenFlow): void | Promise<void> {
  const token = f.grant.grant.handle(f.request, f.client, f.deps.grants);
  if (token instanceof Promise) {
    return token.then((t) => {
      f.token = t;
    });
  }
  f.token = token;
}

/** RFC 8705 §3: `cnf["x5t#S256"]` for clients registered for certificate-bound tokens. */
function bindToCertificate(f: TokenFlow): void {
  bindTokenToCertificate(f.client, f.request.clientCertificate, f.token);
}

/** Per-client issuance limit; unlimited clients (the default) skip the counter and its promise. */
function limitIssuance(f: TokenFlow): void | Promise<void> {
  const limit = f.deps.throttle.issuanceLimit(f.client.metadata.token_rate_limit);
  if (limit > 0) return f.deps.throttle.checkIssuance(f.client.clientId, limit, f.deps.now());
}

function issue(f: TokenFlow): void | Promise<void> {
  const { deps, token } = f;
  if (token.format === 'opaque') {
    return issueOpaque(deps.store, deps.tokenHasher, token, deps.now()).then((issued) => {
      f.issued = issued;
    });
  }
  const now = deps.now();
  const lists = deps.statusLists;
  if (lists === undefined) {
    f.issued = issueJwt(deps.keys, deps.issuer, token, now);
    return;
  }
  if (token.chain !== undefined) return issueLinked(f, lists, now);
  // The status claim: an index from memory; a promise only when the client's block must be opened.
  const status = lists.claim(f.client, token, now);
  if (typeof status === 'string') {
    f.issued = issueJwt(deps.keys, deps.issuer, token, now, status);
    return;
  }
  return status.then((s) => {
    f.issued = issueJwt(deps.keys, deps.issuer, token, deps.now(), s);
  });
}

/**
 * An exchanged token (RFC 8693): its status entry is linked under each
 * ancestor before it is answered, so revoking any of them sets its bit.
 */
async function issueLinked(f: TokenFlow, lists: StatusLists, now: number): Promise<void> {
  const { deps, token } = f;
  const slot = await lists.slot(f.client, token, now);
  const at = deps.now();
  f.issued = issueJwt(deps.keys, deps.issuer, token, at, slot.list.head + slot.idx + slot.list.tail);
  const expMs = (Math.floor(at / 1000) + f.issued.expiresIn) * 1000;
  await lists.link(slot, token.chain ?? [], expMs);
}

function result(f: TokenFlow): TokenResult {
  return {
    json: tokenResponseJson(f.token, f.issued),
    clientId: f.client.clientId,
    format: f.token.format,
    alg: f.issued.alg,
    dpopNonce: f.dpop?.nonce,
  };
}

import type { AuthRequest } from '../client-auth/authenticated-client.js';
import { ASSERTION_TYPE } from '../client-auth/client-assertion.js';
import type { Presentation } from '../client-auth/method.js';
import type { StoredClient } from '../clients/client.js';
import type { MaybePromise } from '../core/maybe-async.js';
import { single } from '../core/params.js';
import { InvalidClient, InvalidRequest } from '../errors/index.js';
import { claimsMatch } from './federated-identities.js';
import type { IdentityIndex } from './identity-index.js';
import {
  type ClaimedIdentity,
  type PlatformIdentity,
  PlatformTokenRefused,
  type PlatformTokens,
} from './platform-tokens.js';

/** draft-ietf-oauth-spiffe-client-auth: a JWT-SVID as the client assertion. */
export const SPIFFE_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-spiffe';

/**
 * Workloads authenticating with their platform's token (federated_jwt):
 * which requests are theirs, which client a token names, and whether that
 * client accepts it. The auth method (client-auth/federated-jwt.ts) is a
 * thin face on this.
 */
export class Federation {
  constructor(
    readonly tokens: PlatformTokens,
    readonly identities: IdentityIndex,
    private readonly now: () => number,
  ) {}

  /**
   * A request is ours when its assertion type is jwt-spiffe, or jwt-bearer
   * with a token a trusted issuer made (its `iss`): the type is shared with
   * private_key_jwt and client_secret_jwt, whose assertions name the client
   * in `iss` and stay theirs. The client is the request's `client_id`, else
   * the one client that accepts the token's identity. No store access.
   */
  read(req: AuthRequest): Presentation<ClaimedIdentity> | undefined {
    const type = single(req.params, 'client_assertion_type');
    if (type !== ASSERTION_TYPE && type !== SPIFFE_ASSERTION_TYPE) return undefined;
    const assertion = single(req.params, 'client_assertion');
    if (assertion === undefined) {
      if (type === ASSERTION_TYPE) return undefined;
      throw new InvalidRequest('client_assertion is required with client_assertion_type');
    }
    const claimed = this.tokens.claim(assertion, this.now());
    if (claimed === undefined) {
      if (type === SPIFFE_ASSERTION_TYPE || this.tokens.namesUntrustedIssuer(assertion)) {
        throw new InvalidClient('no trusted issuer made this token', 'untrusted_issuer');
      }
      return undefined;
    }
    const bodyId = single(req.params, 'client_id');
    return { clientId: bodyId ?? this.#onlyClient(claimed), proof: claimed };
  }

  /** The token is genuine and the client accepts the identity it names; throws InvalidClient. */
  verify(client: StoredClient, claimed: ClaimedIdentity): MaybePromise<void> {
    let identity: PlatformIdentity | Promise<PlatformIdentity>;
    try {
      identity = this.tokens.verify(claimed, this.now());
    } catch (err) {
      throw refused(err, client.clientId);
    }
    if (!(identity instanceof Promise)) return accepts(client, identity);
    return identity.then(
      (verified) => accepts(client, verified),
      (err: unknown) => {
        throw refused(err, client.clientId);
      },
    );
  }

  #onlyClient(claimed: ClaimedIdentity): string {
    const candidates = this.identities.candidates(claimed.issuer.config.issuer, claimed.sub);
    let found: string | undefined;
    for (const c of candidates) {
      if (!claimsMatch(c.claims, claimed.payload)) continue;
      if (found !== undefined) {
        throw new InvalidClient(
          `several clients accept ${claimed.sub} from ${claimed.issuer.config.issuer}: client_id is required`,
          'ambiguous_identity',
        );
      }
      found = c.clientId;
    }
    if (found === undefined) {
      throw new InvalidClient(
        `no client accepts ${claimed.sub} from ${claimed.issuer.config.issuer}`,
        'no_matching_client',
      );
    }
    return found;
  }
}

function accepts(client: StoredClient, identity: PlatformIdentity): void {
  const iss = identity.issuer.config.issuer;
  for (const f of client.metadata.federated_identities ?? []) {
    if (f.issuer === iss && f.subject === identity.sub && claimsMatch(f.claims, identity.payload)) return;
  }
  throw new InvalidClient(
    `client ${client.clientId} does not accept ${identity.sub} from ${iss}`,
    'no_matching_client',
    client.clientId,
  );
}

function refused(err: unknown, clientId: string): unknown {
  if (err instanceof PlatformTokenRefused)
    return new InvalidClient(`platform token refused: ${err.reason}`, err.kind, clientId);
  return err;
}

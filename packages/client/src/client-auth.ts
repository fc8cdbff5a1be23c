import type { CryptoKey, KeyObject } from 'jose';
import {
  assertionClaims,
  type ClientAssertionSigner,
  inferAlgorithm,
  JWT_BEARER_ASSERTION_TYPE,
  type PrivateKeyInput,
  resolveSigningKey,
  signAssertion,
} from './client-assertion.js';
import { type Clock, systemClock } from './clock.js';
import { TokenClientConfigError } from './errors.js';
import type { TlsClientOptions } from './mtls.js';
import {
  assertionTypeUri,
  type ClientAssertionProvider,
  type ClientAssertionType,
  fileAssertionSource,
  type PlatformAssertionSource,
  providerAssertionSource,
} from './platform-assertion.js';

export type ClientAuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt'
  | 'client_secret_jwt'
  | 'tls_client_auth'
  | 'self_signed_tls_client_auth'
  | 'federated_jwt';

export interface ClientAuthOptions {
  /**
   * Required, except with `federated_jwt`: the server then finds the client
   * that accepts the platform identity, when exactly one does.
   */
  clientId?: string;
  /**
   * How the client authenticates. Default: `client_secret_basic` with a
   * secret, `private_key_jwt` with a key or signer, `federated_jwt` with
   * `clientAssertionFile` or `clientAssertion`, `tls_client_auth` with only
   * `tls`.
   */
  authMethod?: ClientAuthMethod;
  /** For `client_secret_basic`, `client_secret_post` and `client_secret_jwt`. */
  clientSecret?: string;
  /** For `private_key_jwt`: the private key (KeyObject, CryptoKey or private JWK). */
  privateKey?: PrivateKeyInput;
  /** For `private_key_jwt`: signs assertions elsewhere instead of `privateKey`. */
  signer?: ClientAssertionSigner;
  /** Assertion `alg`. Default: implied by `privateKey` (RS256, ES256, EdDSA…); HS256 for `client_secret_jwt`. */
  signingAlgorithm?: string;
  /** Assertion `kid`. Default: the JWK's `kid`, if any. */
  keyId?: string;
  /** Assertion lifetime in ms (default 60 s): short, since a leaked assertion is a credential until it expires. */
  assertionLifetime?: number;
  /**
   * The client certificate (RFC 8705): for `tls_client_auth` and
   * `self_signed_tls_client_auth`, and for certificate-bound tokens with
   * any method. Requests to the token endpoint (its `mtls_endpoint_aliases`
   * one, when discovery names it) and through `fetch` present it.
   */
  tls?: TlsClientOptions;
  /**
   * For `federated_jwt`: a file where the platform keeps a token for the
   * server (a Kubernetes projected service-account token, e.g.
   * `/var/run/secrets/tokens/tessera`; a JWT-SVID). Sent as the client
   * assertion; read again whenever it changes, and never reused past its `exp`.
   */
  clientAssertionFile?: string;
  /**
   * For `federated_jwt`: returns the platform's token (e.g. a CI job's OIDC
   * token). Called when a token request needs one; its answer is reused
   * until 30 s before its `exp`, and dropped when the server refuses it.
   */
  clientAssertion?: ClientAssertionProvider;
  /** For `federated_jwt`: `jwt-bearer` (default, RFC 7523) or `jwt-spiffe` (a SPIFFE JWT-SVID). */
  clientAssertionType?: ClientAssertionType;
}

/** Where one token request's credentials go. */
export interface AuthenticatedRequest {
  headers: Record<string, string>;
  body: URLSearchParams;
}

export interface ClientAuthentication {
  readonly method: ClientAuthMethod;
  /** `audience` is the assertion `aud` (the issuer); `now` in epoch ms. */
  apply(request: AuthenticatedRequest, audience: string, now: number): Promise<void>;
  /** The server answered `401`: credentials cached for the next request (a platform token) are dropped. */
  rejected?(): void;
}

/** RFC 6749 §2.3.1 / Appendix B: id and secret are form-urlencoded before they are joined and base64'd. */
export function basicCredentials(clientId: string, clientSecret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

export function createClientAuthentication(
  options: ClientAuthOptions,
  clock: Clock = systemClock,
): ClientAuthentication {
  const platform = options.clientAssertionFile !== undefined || options.clientAssertion !== undefined;
  if (
    !options.authMethod &&
    !options.clientSecret &&
    !options.privateKey &&
    !options.signer &&
    !options.tls &&
    !platform
  ) {
    throw new TokenClientConfigError(
      'give clientSecret, privateKey, signer, tls, clientAssertionFile or clientAssertion to authenticate the client',
    );
  }
  const method = options.authMethod ?? defaultMethod(options);
  if (method === 'federated_jwt') return federatedAuthentication(options, clock);
  if (platform || options.clientAssertionType !== undefined) {
    throw new TokenClientConfigError(
      'clientAssertionFile, clientAssertion and clientAssertionType are for federated_jwt',
    );
  }
  const clientId = requireClientId(options);
  switch (method) {
    case 'tls_client_auth':
    case 'self_signed_tls_client_auth': {
      // RFC 8705 §2: the certificate authenticates; the body names the client, and no secret is sent.
      if (!options.tls) throw new TokenClientConfigError(`${method} needs tls: { cert, key }`);
      return {
        method,
        async apply(request) {
          request.body.set('client_id', clientId);
        },
      };
    }
    case 'client_secret_basic': {
      const header = basicCredentials(clientId, requireSecret(options, method));
      return {
        method,
        async apply(request) {
          request.headers.authorization = header;
        },
      };
    }
    case 'client_secret_post': {
      const secret = requireSecret(options, method);
      return {
        method,
        async apply(request) {
          request.body.set('client_id', clientId);
          request.body.set('client_secret', secret);
        },
      };
    }
    case 'client_secret_jwt': {
      const key = new TextEncoder().encode(requireSecret(options, method));
      const alg = options.signingAlgorithm ?? 'HS256';
      if (!/^HS(256|384|512)$/.test(alg)) throw new TokenClientConfigError(`client_secret_jwt cannot sign with ${alg}`);
      return jwtAuthentication(method, options, (claims) => signAssertion(claims, key, alg, options.keyId));
    }
    case 'private_key_jwt':
      return jwtAuthentication(method, options, privateKeySigner(options));
    default:
      throw new TokenClientConfigError(`unknown authMethod ${JSON.stringify(method)}`);
  }
}

function defaultMethod(options: ClientAuthOptions): ClientAuthMethod {
  const platform = options.clientAssertionFile !== undefined || options.clientAssertion !== undefined;
  const other = options.clientSecret !== undefined || options.privateKey !== undefined || options.signer !== undefined;
  if (platform && other) {
    throw new TokenClientConfigError('give clientAssertionFile or clientAssertion, or a secret or key, not both');
  }
  if (platform) return 'federated_jwt';
  if (options.clientSecret !== undefined) return 'client_secret_basic';
  if (options.privateKey !== undefined || options.signer !== undefined) return 'private_key_jwt';
  return 'tls_client_auth';
}

function requireClientId(options: ClientAuthOptions): string {
  if (typeof options.clientId !== 'string' || options.clientId === '') {
    throw new TokenClientConfigError('clientId is required');
  }
  return options.clientId;
}

/**
 * A platform's token as the client assertion: no secret, no key. The token
 * is the platform's to sign and renew; `client_id` is sent only when given.
 */
function federatedAuthentication(options: ClientAuthOptions, clock: Clock): ClientAuthentication {
  const { clientAssertionFile: file, clientAssertion: provider, clientId } = options;
  if (file !== undefined && provider !== undefined) {
    throw new TokenClientConfigError('give clientAssertionFile or clientAssertion, not both');
  }
  if (options.clientSecret !== undefined || options.privateKey !== undefined || options.signer !== undefined) {
    throw new TokenClientConfigError('federated_jwt takes no clientSecret, privateKey or signer');
  }
  if (clientId !== undefined && (typeof clientId !== 'string' || clientId === '')) {
    throw new TokenClientConfigError('clientId must be a non-empty string when given');
  }
  let source: PlatformAssertionSource;
  if (file !== undefined) {
    if (typeof file !== 'string' || file === '') throw new TokenClientConfigError('clientAssertionFile must be a path');
    source = fileAssertionSource(file, clock);
  } else if (provider !== undefined) {
    if (typeof provider !== 'function') throw new TokenClientConfigError('clientAssertion must be a function');
    source = providerAssertionSource(provider, clock);
  } else {
    throw new TokenClientConfigError('federated_jwt needs clientAssertionFile or clientAssertion');
  }
  const type = assertionTypeUri(options.clientAssertionType);
  return {
    method: 'federated_jwt',
    async apply(request) {
      const assertion = await source.get();
      if (clientId !== undefined) request.body.set('client_id', clientId);
      request.body.set('client_assertion_type', type);
      request.body.set('client_assertion', assertion);
    },
    rejected() {
      source.forget();
    },
  };
}

function requireSecret(options: ClientAuthOptions, method: ClientAuthMethod): string {
  if (typeof options.clientSecret !== 'string' || options.clientSecret === '') {
    throw new TokenClientConfigError(`${method} needs clientSecret`);
  }
  return options.clientSecret;
}

function privateKeySigner(options: ClientAuthOptions): ClientAssertionSigner {
  if (options.signer && options.privateKey) throw new TokenClientConfigError('give privateKey or signer, not both');
  if (options.signer) return options.signer;
  const { privateKey } = options;
  if (!privateKey) throw new TokenClientConfigError('private_key_jwt needs privateKey or signer');
  const alg = options.signingAlgorithm ?? inferAlgorithm(privateKey);
  const kid = options.keyId ?? (privateKey as { kid?: unknown }).kid;
  let key: Promise<KeyObject | CryptoKey> | undefined;
  return async (claims) => {
    key ??= resolveSigningKey(privateKey, alg);
    return signAssertion(claims, await key, alg, typeof kid === 'string' ? kid : undefined);
  };
}

function jwtAuthentication(
  method: ClientAuthMethod,
  options: ClientAuthOptions,
  sign: ClientAssertionSigner,
): ClientAuthentication {
  const lifetime = Math.max(1, Math.ceil((options.assertionLifetime ?? 60_000) / 1000));
  const clientId = requireClientId(options);
  return {
    method,
    async apply(request, audience, now) {
      const assertion = await sign(assertionClaims(clientId, audience, now, lifetime));
      request.body.set('client_id', clientId);
      request.body.set('client_assertion_type', JWT_BEARER_ASSERTION_TYPE);
      request.body.set('client_assertion', assertion);
    },
  };
}

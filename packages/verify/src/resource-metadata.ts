import type { ResolvedSenderConstraints } from './sender-constraints.js';

/** RFC 9728 protected resource metadata: how clients find the issuer of a resource server. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported: ['header'];
  resource_name?: string;
  /** RFC 9728 §2, when DPoP is advertised. */
  dpop_signing_alg_values_supported?: string[];
  dpop_bound_access_tokens_required?: boolean;
  /** RFC 9728 §2, when certificate-bound tokens are advertised. */
  tls_client_certificate_bound_access_tokens?: boolean;
}

export interface ResourceOptions {
  /** This resource server's identifier: an https URL without query or fragment (RFC 9728 §2). */
  resource: string;
  /** Scopes this resource server understands, advertised to clients. */
  scopesSupported?: readonly string[];
  /** A human name for the resource. */
  resourceName?: string;
}

export interface ResourceMetadataInfo {
  readonly document: ProtectedResourceMetadata;
  /** Where the document is served on this server, e.g. `/.well-known/oauth-protected-resource`. */
  readonly path: string;
  /** The absolute URL named in `WWW-Authenticate: Bearer resource_metadata="…"`. */
  readonly url: string;
}

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

export function resourceMetadata(
  options: ResourceOptions,
  issuer: string,
  sender?: Pick<ResolvedSenderConstraints, 'dpopAdvertised' | 'dpopRequired' | 'dpopAlgs' | 'mtlsAdvertised'>,
): ResourceMetadataInfo {
  const url = new URL(options.resource);
  if (url.search || url.hash) throw new TypeError('resource must not have a query or fragment');
  // RFC 9728 §3.1: the well-known segment goes between the host and any path.
  const path = WELL_KNOWN + url.pathname.replace(/\/$/, '');
  const document: ProtectedResourceMetadata = {
    resource: options.resource,
    authorization_servers: [issuer],
    ...(options.scopesSupported ? { scopes_supported: [...options.scopesSupported] } : {}),
    bearer_methods_supported: ['header'],
    ...(options.resourceName ? { resource_name: options.resourceName } : {}),
    ...(sender?.dpopAdvertised
      ? {
          dpop_signing_alg_values_supported: [...sender.dpopAlgs],
          dpop_bound_access_tokens_required: sender.dpopRequired,
        }
      : {}),
    ...(sender?.mtlsAdvertised ? { tls_client_certificate_bound_access_tokens: true } : {}),
  };
  return Object.freeze({ document: Object.freeze(document), path, url: url.origin + path });
}

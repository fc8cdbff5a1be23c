// oidc-provider ships no type declarations; this covers only what the tests use.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ResourceServer {
    scope: string;
    audience?: string;
    accessTokenFormat?: 'jwt' | 'opaque';
    jwt?: { sign?: { alg: string; key?: unknown } };
  }

  export interface Configuration {
    clients?: Record<string, unknown>[];
    scopes?: string[];
    features?: {
      clientCredentials?: { enabled: boolean };
      devInteractions?: { enabled: boolean };
      resourceIndicators?: {
        enabled: boolean;
        getResourceServerInfo?: (ctx: unknown, resourceIndicator: string, client: unknown) => ResourceServer;
      };
    };
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }

  export const errors: { InvalidTarget: new (description?: string) => Error };
}

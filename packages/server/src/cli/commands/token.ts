import { type Command, Option } from 'commander';
import { baseUrl, CliError, request, UsageError } from '../admin-api.js';
import { json, keyValues, show } from '../format.js';
import { type ConnectionOptions, collect, secretFromStdin, withServer, write } from '../options.js';

interface TokenOptions extends ConnectionOptions {
  clientId?: string;
  clientSecret?: string;
  clientSecretStdin?: boolean;
  scope?: string;
  audience?: string[];
  authMethod: 'basic' | 'post';
}

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope?: string;
}

interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/**
 * RFC 8414 §3.1: the well-known segment goes between the host and any path
 * of the issuer (https://host/tenant → https://host/.well-known/…/tenant).
 */
export function discoveryUrl(base: string): string {
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded. */
function basicAuthorization(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

/** Header and claims of a JWT, decoded only (the token command is for looking, not for trusting). */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const [header, claims] = parts.slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
    return { header, claims };
  } catch {
    return undefined;
  }
}

async function getToken(opts: TokenOptions): Promise<{ endpoint: string; response: TokenResponse }> {
  const clientId = opts.clientId || process.env.TESSERA_CLIENT_ID;
  if (opts.clientSecretStdin && opts.clientSecret) {
    throw new UsageError('--client-secret and --client-secret-stdin: give one');
  }
  const clientSecret = opts.clientSecretStdin
    ? await secretFromStdin('--client-secret-stdin')
    : opts.clientSecret || process.env.TESSERA_CLIENT_SECRET;
  if (!clientId) throw new UsageError('no client id: set TESSERA_CLIENT_ID or pass --client-id');
  if (!clientSecret) {
    throw new UsageError('no client secret: set TESSERA_CLIENT_SECRET or pass --client-secret-stdin');
  }

  const metadata = await request<{ token_endpoint?: unknown }>(discoveryUrl(baseUrl(opts.url)));
  const endpoint = metadata.body?.token_endpoint;
  if (typeof endpoint !== 'string') throw new CliError('the discovery document has no token_endpoint', 1);

  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (opts.scope) form.set('scope', opts.scope);
  for (const a of opts.audience ?? []) form.append('audience', a);
  const headers: Record<string, string> = {};
  if (opts.authMethod === 'basic') {
    headers.authorization = basicAuthorization(clientId, clientSecret);
  } else {
    form.set('client_id', clientId);
    form.set('client_secret', clientSecret);
  }
  const answer = await request<TokenResponse>(endpoint, { method: 'POST', headers, body: form });
  return { endpoint, response: answer.body };
}

export function tokenCommand(program: Command): void {
  withServer(
    program
      .command('token')
      .description(
        'get a token with client credentials (endpoint found by discovery); prints the response and the decoded JWT',
      ),
  )
    .option('--client-id <id>', 'the client (env TESSERA_CLIENT_ID)')
    .option(
      '--client-secret <secret>',
      'its secret (env TESSERA_CLIENT_SECRET; prefer the variable or --client-secret-stdin: an argument is seen by ps and echoed by npm)',
    )
    .option('--client-secret-stdin', 'read the secret from stdin (one line)')
    .option('--scope <scopes>', 'scopes to ask for, space-delimited (default: all the client may have)')
    .option('--audience <audience>', 'an audience to ask for (repeat for several)', collect)
    .addOption(
      new Option('--auth-method <method>', 'client_secret_basic or client_secret_post')
        .choices(['basic', 'post'])
        .default('basic'),
    )
    .addHelpText(
      'after',
      '\nWith --json: {"token_endpoint", "response": the token response, "header", "claims"} (null for an opaque token).',
    )
    .action(async (opts: TokenOptions) => {
      const { endpoint, response } = await getToken(opts);
      const jwt = typeof response.access_token === 'string' ? decodeJwt(response.access_token) : undefined;
      if (opts.json) {
        return write(
          json({ token_endpoint: endpoint, response, header: jwt?.header ?? null, claims: jwt?.claims ?? null }),
        );
      }
      write(
        keyValues([
          ['token_endpoint', endpoint],
          ['access_token', show(response.access_token)],
          ['token_type', show(response.token_type)],
          ['expires_in', `${show(response.expires_in)} s`],
          ['scope', show(response.scope)],
        ]),
      );
      if (!jwt) return write('\n(an opaque token: resource servers check it by introspection)\n');
      write(`\nJWT header (decoded, not verified):\n${json(jwt.header)}\nJWT claims:\n${json(jwt.claims)}`);
    });
}

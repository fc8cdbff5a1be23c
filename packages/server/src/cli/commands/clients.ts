import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { AUTH_METHOD_NAMES } from '../../client-auth/registry.js';
import type { ClientMetadata } from '../../clients/client.js';
import { MAX_EXCHANGE_DEPTH } from '../../clients/metadata-fields.js';
import { GRANT_TYPES } from '../../grants/registry.js';
import { UsageError } from '../admin-api.js';
import { date, json, keyValues, show, table } from '../format.js';
import { adminApi, type ConnectionOptions, collect, integer, note, readStdin, withAdmin, write } from '../options.js';

/** The client as the admin API returns it (admin/client-view.ts): the metadata table's fields and the registration ones. */
export type ClientView = ClientMetadata & {
  client_id: string;
  client_secret?: string;
  client_id_issued_at: number;
  updated_at: number;
};

interface ClientPage {
  items: ClientView[];
  next_cursor: string | null;
}

interface MetadataOptions extends ConnectionOptions {
  name?: string;
  scope?: string;
  audience?: string[];
  authMethod?: string;
  ttl?: number;
  format?: string;
  claims?: string;
  jwks?: string;
  jwksUri?: string;
  dpopBound?: boolean;
  clientId?: string;
  jsonBody?: string;
  tlsSubjectDn?: string;
  tlsSanDns?: string;
  tlsSanUri?: string;
  tlsSanIp?: string;
  tlsSanEmail?: string;
  certBound?: boolean;
  grantType?: string[];
  exchangeSubjectClient?: string[];
  exchangeMaxDepth?: number;
  federatedIdentity?: { issuer: string; subject: string }[];
}

/** RFC 8705 metadata: the option, and the field it sets. */
const TLS_OPTIONS = [
  ['tlsSubjectDn', 'tls_client_auth_subject_dn'],
  ['tlsSanDns', 'tls_client_auth_san_dns'],
  ['tlsSanUri', 'tls_client_auth_san_uri'],
  ['tlsSanIp', 'tls_client_auth_san_ip'],
  ['tlsSanEmail', 'tls_client_auth_san_email'],
] as const;

const AUTH_METHODS = [...AUTH_METHOD_NAMES];

/** A repeatable option whose values must be grant types this server has. */
function grantType(value: string, previous: string[] | undefined): string[] {
  if (!(GRANT_TYPES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${GRANT_TYPES.join(', ')}`);
  }
  return collect(value, previous);
}
/** `ISSUER SUBJECT` (one space between): a workload identity a federated_jwt client accepts. */
function federatedIdentity(
  value: string,
  previous: { issuer: string; subject: string }[] | undefined,
): { issuer: string; subject: string }[] {
  const m = /^(\S+)\s+(\S.*)$/.exec(value.trim());
  if (!m)
    throw new InvalidArgumentError(
      'must be "ISSUER SUBJECT", e.g. "https://kubernetes.default.svc system:serviceaccount:ns:name"',
    );
  return [...(previous ?? []), { issuer: m[1] as string, subject: m[2] as string }];
}
const MAX_TTL = 30 * 24 * 3600;
const MAX_PAGE = 200;

/**
 * The RFC 7591 fields as options, shared by `create` and `update`. A boolean
 * field has both spellings (`--dpop-bound`, `--no-dpop-bound`), so neither
 * is a default: only a flag given changes the client.
 */
function withMetadata(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'client_name: a human name')
    .option('--scope <scopes>', 'scope: allowed scopes, space-delimited (quote them)')
    .option('--audience <audience>', 'audience: an allowed audience (repeat for several)', collect)
    .option('--grant-type <type>', 'grant_types: a grant the client may use (repeat for several)', grantType)
    .addOption(new Option('--auth-method <method>', 'token_endpoint_auth_method').choices(AUTH_METHODS))
    .option('--ttl <seconds>', 'access_token_ttl: token lifetime in seconds', integer(1, MAX_TTL))
    .addOption(new Option('--format <format>', 'access_token_format').choices(['jwt', 'opaque']))
    .option('--claims <json>', 'claims: extra token claims, a JSON object')
    .option('--jwks <file>', 'jwks: a JSON file holding the public key set (private_key_jwt)')
    .option('--jwks-uri <url>', 'jwks_uri: where the public key set is served (private_key_jwt)')
    .option('--dpop-bound', 'dpop_bound_access_tokens: every token request must carry a DPoP proof (RFC 9449)')
    .option('--no-dpop-bound', 'dpop_bound_access_tokens: false (tokens without a proof are Bearer tokens)')
    .option('--tls-subject-dn <dn>', 'tls_client_auth_subject_dn: the certificate subject, RFC 4514 (tls_client_auth)')
    .option('--tls-san-dns <name>', 'tls_client_auth_san_dns: a DNS name SAN of the certificate (tls_client_auth)')
    .option('--tls-san-uri <uri>', 'tls_client_auth_san_uri: a URI SAN of the certificate (tls_client_auth)')
    .option('--tls-san-ip <address>', 'tls_client_auth_san_ip: an IP address SAN of the certificate (tls_client_auth)')
    .option('--tls-san-email <address>', 'tls_client_auth_san_email: an email SAN of the certificate (tls_client_auth)')
    .option('--cert-bound', 'tls_client_certificate_bound_access_tokens: bind tokens to the TLS client certificate')
    .option('--no-cert-bound', 'tls_client_certificate_bound_access_tokens: false')
    .option(
      '--exchange-subject-client <id>',
      'token_exchange_subject_clients: a client whose tokens this one may exchange (repeat; absent: any)',
      collect,
    )
    .option(
      '--exchange-max-depth <n>',
      'token_exchange_max_depth: how many actors an exchanged token may name (default 5)',
      integer(1, MAX_EXCHANGE_DEPTH),
    )
    .option(
      '--federated-identity <identity>',
      'federated_identities: "ISSUER SUBJECT", a platform identity (a trusted issuer and the exact sub) this client accepts (federated_jwt; repeat; claims through --json-body)',
      federatedIdentity,
    )
    .option('--json-body <file|->', 'any client metadata as a JSON object, from a file or - (stdin); options win');
}

/** The request body: --json-body first, then each option given, so an option always wins. */
async function metadataBody(opts: MetadataOptions): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = opts.jsonBody ? await readJsonObject(opts.jsonBody, '--json-body') : {};
  if (opts.clientId !== undefined) body.client_id = opts.clientId;
  if (opts.name !== undefined) body.client_name = opts.name;
  if (opts.scope !== undefined) body.scope = opts.scope;
  if (opts.audience !== undefined) body.audience = opts.audience;
  if (opts.grantType !== undefined) body.grant_types = opts.grantType;
  if (opts.authMethod !== undefined) body.token_endpoint_auth_method = opts.authMethod;
  if (opts.ttl !== undefined) body.access_token_ttl = opts.ttl;
  if (opts.format !== undefined) body.access_token_format = opts.format;
  if (opts.claims !== undefined) body.claims = parseJsonObject(opts.claims, '--claims');
  if (opts.jwks !== undefined) body.jwks = await readJsonObject(opts.jwks, '--jwks');
  if (opts.jwksUri !== undefined) body.jwks_uri = opts.jwksUri;
  if (opts.dpopBound !== undefined) body.dpop_bound_access_tokens = opts.dpopBound;
  for (const [option, field] of TLS_OPTIONS) if (opts[option] !== undefined) body[field] = opts[option];
  if (opts.certBound !== undefined) body.tls_client_certificate_bound_access_tokens = opts.certBound;
  if (opts.exchangeSubjectClient !== undefined) body.token_exchange_subject_clients = opts.exchangeSubjectClient;
  if (opts.exchangeMaxDepth !== undefined) body.token_exchange_max_depth = opts.exchangeMaxDepth;
  if (opts.federatedIdentity !== undefined) body.federated_identities = opts.federatedIdentity;
  return body;
}

async function readJsonObject(source: string, option: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = source === '-' ? await readStdin('--json-body -') : await readFile(source, 'utf8');
  } catch (err) {
    throw new UsageError(`${option}: cannot read ${source} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseJsonObject(text, option);
}

function parseJsonObject(text: string, option: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${option}: not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${option}: must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function clientPath(id: string): string {
  return `/admin/clients/${encodeURIComponent(id)}`;
}

/** One client, field by field; a secret only when the API returned one, with the warning that goes with it. */
function printClient(c: ClientView, opts: ConnectionOptions): void {
  if (c.client_secret !== undefined) {
    note('The client_secret is shown this once: only a hash is stored. Keep it now.');
  }
  if (opts.json) {
    write(json(c));
    return;
  }
  const entries: [string, string][] = [['client_id', c.client_id]];
  if (c.client_secret !== undefined) entries.push(['client_secret', c.client_secret]);
  entries.push(
    ['client_name', show(c.client_name)],
    ['auth method', show(c.token_endpoint_auth_method)],
    ['scopes', show(c.scope)],
    ['audiences', show(c.audience)],
    ['grant types', show(c.grant_types)],
    ['token format', show(c.access_token_format)],
    ['token ttl', `${show(c.access_token_ttl)} s`],
    ['claims', show(c.claims)],
  );
  if (c.jwks) entries.push(['jwks', `${c.jwks.keys.length} key(s)`]);
  if (c.jwks_uri) entries.push(['jwks_uri', c.jwks_uri]);
  if (c.dpop_bound_access_tokens !== undefined) entries.push(['dpop bound', String(c.dpop_bound_access_tokens)]);
  for (const [, field] of TLS_OPTIONS) if (c[field] !== undefined) entries.push([field, show(c[field])]);
  if (c.tls_client_certificate_bound_access_tokens) entries.push(['certificate-bound tokens', 'yes']);
  if (c.token_exchange_subject_clients) entries.push(['exchanges tokens of', show(c.token_exchange_subject_clients)]);
  if (c.token_exchange_max_depth !== undefined)
    entries.push(['exchange max depth', String(c.token_exchange_max_depth)]);
  for (const f of c.federated_identities ?? []) {
    entries.push(['federated identity', `${f.issuer} ${f.subject}${f.claims ? ` ${JSON.stringify(f.claims)}` : ''}`]);
  }
  entries.push(['created', date(c.client_id_issued_at)], ['updated', date(c.updated_at)]);
  write(keyValues(entries));
}

function printClientTable(items: readonly ClientView[]): void {
  write(
    table(
      ['CLIENT_ID', 'NAME', 'AUTH METHOD', 'FORMAT', 'SCOPES', 'AUDIENCES'],
      items.map((c) => [
        c.client_id,
        show(c.client_name),
        c.token_endpoint_auth_method,
        c.access_token_format,
        show(c.scope),
        show(c.audience),
      ]),
    ),
  );
}

/**
 * Follows next_cursor until the end, or until `max` clients are read; pages
 * are as large as the API allows (or `max`, if smaller).
 */
async function listClients(opts: ConnectionOptions & { limit?: number; cursor?: string }): Promise<ClientPage> {
  const api = await adminApi(opts);
  const items: ClientView[] = [];
  let cursor: string | null = opts.cursor ?? null;
  for (;;) {
    const want = Math.min(MAX_PAGE, opts.limit === undefined ? MAX_PAGE : opts.limit - items.length);
    const query = new URLSearchParams({ limit: String(want) });
    if (cursor) query.set('cursor', cursor);
    const page = await api.call<ClientPage>('GET', `/admin/clients?${query}`);
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor || (opts.limit !== undefined && items.length >= opts.limit)) break;
  }
  return { items, next_cursor: cursor };
}

export function clientsCommand(program: Command): void {
  const clients = program.command('clients').description('register and manage clients (the admin API)');

  withMetadata(withAdmin(clients.command('create').description('register a client; prints its secret once')))
    .option('--client-id <id>', 'client_id: choose the id (default: a generated UUID)')
    .action(async (opts: MetadataOptions) => {
      const body = await metadataBody(opts);
      printClient(await (await adminApi(opts)).call<ClientView>('POST', '/admin/clients', body), opts);
    });

  withAdmin(clients.command('list').description('list clients, following next_cursor through every page'))
    .option('--limit <n>', 'stop after n clients (and show the cursor to go on)', integer(1, 1_000_000))
    .option('--cursor <cursor>', 'start after this cursor (from a previous --limit)')
    .action(async (opts: ConnectionOptions & { limit?: number; cursor?: string }) => {
      const page = await listClients(opts);
      if (opts.json) return write(json(page));
      if (page.items.length === 0) note('no clients');
      else printClientTable(page.items);
      if (page.next_cursor) note(`more clients follow: --cursor ${page.next_cursor}`);
    });

  withAdmin(clients.command('get').description('show one client (never its secret)'))
    .argument('<client_id>')
    .action(async (id: string, opts: ConnectionOptions) => {
      printClient(await (await adminApi(opts)).call<ClientView>('GET', clientPath(id)), opts);
    });

  withMetadata(withAdmin(clients.command('update').description('change a client (PATCH: only what is given)')))
    .argument('<client_id>')
    .action(async (id: string, opts: MetadataOptions) => {
      const body = await metadataBody(opts);
      if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give an option or --json-body');
      printClient(await (await adminApi(opts)).call<ClientView>('PATCH', clientPath(id), body), opts);
    });

  withAdmin(clients.command('delete').description('remove a client; its tokens stop introspecting as active'))
    .argument('<client_id>')
    .action(async (id: string, opts: ConnectionOptions) => {
      await (await adminApi(opts)).call<undefined>('DELETE', clientPath(id));
      // 204 has no body: --json prints nothing, the exit code says it all.
      if (!opts.json) write(`deleted ${id}\n`);
    });

  withAdmin(clients.command('rotate-secret').description('issue a new secret; prints it once'))
    .argument('<client_id>')
    .option(
      '--previous-secret-ttl <seconds>',
      'keep the old secret valid this many more seconds (default 0: it stops at once)',
      integer(0, MAX_TTL),
    )
    .action(async (id: string, opts: ConnectionOptions & { previousSecretTtl?: number }) => {
      const body = opts.previousSecretTtl === undefined ? {} : { previous_secret_ttl: opts.previousSecretTtl };
      printClient(await (await adminApi(opts)).call<ClientView>('POST', `${clientPath(id)}/secrets`, body), opts);
    });
}

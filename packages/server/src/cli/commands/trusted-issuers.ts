import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { MAX_MAX_TOKEN_LIFETIME } from '../../federation/trusted-issuer-input.js';
import { UsageError } from '../admin-api.js';
import { date, json, keyValues, show, table } from '../format.js';
import { adminApi, type ConnectionOptions, integer, note, withAdmin, write } from '../options.js';

/** A trusted issuer as the admin API returns it (admin/trusted-issuer-schemas.ts). */
interface TrustedIssuerView {
  id: string;
  issuer: string;
  kind: string;
  jwks_uri?: string;
  jwks?: { keys: unknown[] };
  audience: string;
  max_token_lifetime: number;
  trust_domain?: string;
  description?: string;
  created_at: number;
  updated_at: number;
}

interface IssuerOptions extends ConnectionOptions {
  issuer?: string;
  kind?: string;
  jwksUri?: string;
  jwks?: string;
  audience?: string;
  maxTokenLifetime?: number;
  trustDomain?: string;
  description?: string;
  unset?: string[];
}

/** What `--unset` may remove (PATCH with null). */
const OPTIONAL_FIELDS = ['jwks_uri', 'jwks', 'audience', 'trust_domain', 'description'];

function unsetField(value: string, previous: string[] | undefined): string[] {
  if (!OPTIONAL_FIELDS.includes(value)) throw new InvalidArgumentError(`must be one of ${OPTIONAL_FIELDS.join(', ')}`);
  return [...(previous ?? []), value];
}

function withFields(cmd: Command): Command {
  return cmd
    .option('--issuer <url>', 'issuer: exactly the iss of its tokens (https; http only for loopback)')
    .addOption(
      new Option('--kind <kind>', 'kind: oidc (default) or spiffe (a SPIFFE bundle endpoint)').choices([
        'oidc',
        'spiffe',
      ]),
    )
    .option('--jwks-uri <url>', 'jwks_uri: where its keys are (default: found through its discovery document)')
    .option('--jwks <file>', 'jwks: a JSON file holding its public keys (an issuer Tessera cannot reach)')
    .option('--audience <aud>', "audience: the aud its tokens must carry (default: Tessera's issuer)")
    .option(
      '--max-token-lifetime <seconds>',
      'max_token_lifetime: longest token lifetime accepted (default 3600)',
      integer(1, MAX_MAX_TOKEN_LIFETIME),
    )
    .option('--trust-domain <name>', 'trust_domain: the SPIFFE trust domain it vouches for (kind spiffe)')
    .option('--description <text>', 'description: a note for people');
}

async function body(opts: IssuerOptions): Promise<Record<string, unknown>> {
  const b: Record<string, unknown> = {};
  if (opts.issuer !== undefined) b.issuer = opts.issuer;
  if (opts.kind !== undefined) b.kind = opts.kind;
  if (opts.jwksUri !== undefined) b.jwks_uri = opts.jwksUri;
  if (opts.jwks !== undefined) b.jwks = await readJson(opts.jwks);
  if (opts.audience !== undefined) b.audience = opts.audience;
  if (opts.maxTokenLifetime !== undefined) b.max_token_lifetime = opts.maxTokenLifetime;
  if (opts.trustDomain !== undefined) b.trust_domain = opts.trustDomain;
  if (opts.description !== undefined) b.description = opts.description;
  for (const field of opts.unset ?? []) b[field] = null;
  return b;
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--jwks: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError('--jwks: not valid JSON');
  }
}

function path(id?: string): string {
  return id === undefined ? '/admin/trusted-issuers' : `/admin/trusted-issuers/${encodeURIComponent(id)}`;
}

function print(t: TrustedIssuerView, opts: ConnectionOptions): void {
  if (opts.json) {
    write(json(t));
    return;
  }
  const entries: [string, string][] = [
    ['id', t.id],
    ['issuer', t.issuer],
    ['kind', t.kind],
    ['keys', t.jwks ? `${t.jwks.keys.length} inline key(s)` : (t.jwks_uri ?? 'through discovery')],
    ['audience', t.audience],
    ['max token lifetime', `${t.max_token_lifetime} s`],
  ];
  if (t.trust_domain !== undefined) entries.push(['trust domain', t.trust_domain]);
  if (t.description !== undefined) entries.push(['description', t.description]);
  entries.push(['created', date(t.created_at)], ['updated', date(t.updated_at)]);
  write(keyValues(entries));
}

export function trustedIssuersCommand(program: Command): void {
  const cmd = program
    .command('trusted-issuers')
    .description('issuers whose tokens authenticate workloads without a secret (the admin API)');

  withFields(
    withAdmin(cmd.command('create').description('trust an issuer (Kubernetes, SPIFFE, a CI platform)')),
  ).action(async (opts: IssuerOptions) => {
    if (opts.issuer === undefined) throw new UsageError('--issuer is required');
    print(await (await adminApi(opts)).call<TrustedIssuerView>('POST', path(), await body(opts)), opts);
  });

  withAdmin(cmd.command('list').description('every trusted issuer')).action(async (opts: ConnectionOptions) => {
    const api = await adminApi(opts);
    const items: TrustedIssuerView[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: '200' });
      if (cursor) query.set('cursor', cursor);
      const page: { items: TrustedIssuerView[]; next_cursor: string | null } = await api.call(
        'GET',
        `${path()}?${query}`,
      );
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    if (opts.json) return write(json({ items, next_cursor: null }));
    if (items.length === 0) return note('no trusted issuers');
    write(
      table(
        ['ID', 'ISSUER', 'KIND', 'AUDIENCE', 'MAX LIFETIME'],
        items.map((t) => [t.id, t.issuer, t.kind, show(t.audience), `${t.max_token_lifetime} s`]),
      ),
    );
  });

  withAdmin(cmd.command('get').description('show one trusted issuer'))
    .argument('<id>')
    .action(async (id: string, opts: ConnectionOptions) => {
      print(await (await adminApi(opts)).call<TrustedIssuerView>('GET', path(id)), opts);
    });

  withFields(withAdmin(cmd.command('update').description('change a trusted issuer (PATCH: only what is given)')))
    .argument('<id>')
    .option('--unset <field>', `remove an optional field (repeat): ${OPTIONAL_FIELDS.join(', ')}`, unsetField)
    .action(async (id: string, opts: IssuerOptions) => {
      const b = await body(opts);
      if (Object.keys(b).length === 0) throw new UsageError('nothing to change: give an option');
      print(await (await adminApi(opts)).call<TrustedIssuerView>('PATCH', path(id), b), opts);
    });

  withAdmin(cmd.command('delete').description('stop trusting an issuer; its tokens stop authenticating at once'))
    .argument('<id>')
    .action(async (id: string, opts: ConnectionOptions) => {
      await (await adminApi(opts)).call<undefined>('DELETE', path(id));
      if (!opts.json) write(`deleted ${id}\n`);
    });
}

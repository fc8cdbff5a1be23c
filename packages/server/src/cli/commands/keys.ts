import type { Command } from 'commander';
import { date, json, keyValues, show, table } from '../format.js';
import { adminApi, type ConnectionOptions, withAdmin, write } from '../options.js';

/** A published key as GET /admin/keys shows it: the public JWK plus its life cycle. */
interface KeyView {
  kid: string;
  kty: string;
  alg: string;
  crv?: string;
  status: 'signing' | 'published' | 'retiring';
  activates_at: number;
  retires_at: number | null;
}

export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('the signing keys (the admin API)');

  withAdmin(keys.command('list').description('the published keys and which one signs')).action(
    async (opts: ConnectionOptions) => {
      const answer = await (await adminApi(opts)).call<{ items: KeyView[] }>('GET', '/admin/keys');
      if (opts.json) return write(json(answer));
      write(
        table(
          ['KID', 'ALG', 'KTY', 'STATUS', 'ACTIVE FROM', 'RETIRES'],
          answer.items.map((k) => [
            k.kid,
            k.alg,
            k.crv ? `${k.kty}/${k.crv}` : k.kty,
            k.status,
            date(k.activates_at),
            date(k.retires_at),
          ]),
        ),
      );
    },
  );

  withAdmin(
    keys
      .command('rotate')
      .description('make a new signing key; the old one stays in the JWKS until its last token expires'),
  ).action(async (opts: ConnectionOptions) => {
    const jwk = await (await adminApi(opts)).call<Record<string, unknown>>('POST', '/admin/keys/rotate');
    if (opts.json) return write(json(jwk));
    write(
      keyValues([
        ['kid', show(jwk.kid)],
        ['alg', show(jwk.alg)],
        ['kty', show(jwk.kty)],
        ['status', 'signing'],
      ]),
    );
  });
}

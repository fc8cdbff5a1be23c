import { type Command, InvalidArgumentError } from 'commander';
import { AdminApi } from './admin-api.js';

export const DEFAULT_URL = 'http://localhost:8080';

export interface ConnectionOptions {
  url: string;
  adminKey?: string;
  json?: boolean;
}

/**
 * --url and --json on a command that talks to a server. The default of --url
 * comes from TESSERA_URL; the admin key's is read at call time and never
 * shown in --help, so it cannot end up in a terminal log or a screenshot.
 */
export function withServer(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'server base URL (env TESSERA_URL)', process.env.TESSERA_URL || DEFAULT_URL)
    .option('--json', 'print the raw JSON of the API (for scripts)');
}

/** withServer plus --admin-key, for the admin API. */
export function withAdmin(cmd: Command): Command {
  return withServer(cmd).option('--admin-key <key>', 'admin API key (env TESSERA_ADMIN_KEY; prefer the variable)');
}

export function adminApi(opts: ConnectionOptions): AdminApi {
  return new AdminApi(opts.url, opts.adminKey || process.env.TESSERA_ADMIN_KEY);
}

/** For commander: an integer in [min, max], or a clear usage error. */
export function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    }
    return Number(value);
  };
}

/** For commander: a repeatable option collects its values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function write(text: string): void {
  process.stdout.write(text);
}

export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

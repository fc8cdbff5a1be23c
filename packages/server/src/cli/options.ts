import { type Command, InvalidArgumentError } from 'commander';
import { AdminApi, UsageError } from './admin-api.js';

export const DEFAULT_URL = 'http://localhost:8080';

export interface ConnectionOptions {
  url: string;
  adminKey?: string;
  adminKeyStdin?: boolean;
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
  return withServer(cmd)
    .option('--admin-key <key>', 'admin API key (env TESSERA_ADMIN_KEY; prefer the variable or --admin-key-stdin)')
    .option('--admin-key-stdin', 'read the admin API key from stdin (one line), so it is in no argument list or log');
}

/** The admin key: --admin-key-stdin, else --admin-key, else TESSERA_ADMIN_KEY. */
export async function adminApi(opts: ConnectionOptions): Promise<AdminApi> {
  const key = opts.adminKeyStdin ? await secretFromStdin('--admin-key-stdin') : opts.adminKey;
  return new AdminApi(opts.url, key || process.env.TESSERA_ADMIN_KEY);
}

let stdinTaken = false;

/** All of stdin, as text; read once per run (a second reader is a usage error, not an empty answer). */
export async function readStdin(option: string): Promise<string> {
  if (stdinTaken) throw new UsageError(`${option}: stdin is already read by another option`);
  stdinTaken = true;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A secret piped in (`printf %s "$SECRET" | …` or `… <<< "$SECRET"`): one line, its line ending dropped. */
export async function secretFromStdin(option: string): Promise<string> {
  const secret = (await readStdin(option)).replace(/\r?\n$/, '');
  if (!secret) throw new UsageError(`${option}: stdin is empty`);
  if (/[\r\n]/.test(secret)) throw new UsageError(`${option}: stdin must hold one line`);
  return secret;
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

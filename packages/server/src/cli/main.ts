#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { CliError } from './admin-api.js';
import { auditCommand } from './commands/audit.js';
import { clientsCommand } from './commands/clients.js';
import { keysCommand } from './commands/keys.js';
import { serveCommand } from './commands/serve.js';
import { tokenCommand } from './commands/token.js';
import { trustedIssuersCommand } from './commands/trusted-issuers.js';
import { clean } from './format.js';

/** What scripts can rely on; CliError carries the code of each failure. */
const EXIT_CODES = `
Exit codes:
  0  done
  1  the server refused (its error and error_description are printed on one line), or a usage error
  2  cannot connect to the server (not running, wrong --url, no answer in 30 s)

Environment:
  TESSERA_URL        server base URL (default http://localhost:8080)
  TESSERA_ADMIN_KEY  admin API key (for clients, keys, trusted issuers and audit; or pipe it to
                     --admin-key-stdin)
  TESSERA_CLIENT_ID, TESSERA_CLIENT_SECRET  credentials for \`tessera token\` (or pipe the secret
                     to --client-secret-stdin)
Secrets belong in these variables or on stdin, not in arguments: \`npm run\` echoes its arguments
and \`ps\` shows them.
`;

/** src/cli/main.ts and dist/cli/main.js both sit two levels below the package. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function buildProgram(): Command {
  const program = new Command('tessera')
    .description('Tessera, an OAuth 2.0 client-credentials authorization server: run it and administer it')
    .version(version())
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES);
  serveCommand(program);
  clientsCommand(program);
  keysCommand(program);
  auditCommand(program);
  trustedIssuersCommand(program);
  tokenCommand(program);
  return program;
}

function fail(err: unknown): never {
  if (err instanceof CliError) {
    process.stderr.write(`tessera: ${clean(err.message)}\n`);
    process.exit(err.exitCode);
  }
  // A bug in the CLI itself: say so, briefly, without a stack trace.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`tessera: unexpected error: ${clean(message)}\n`);
  process.exit(1);
}

// `tessera clients list | head` closes stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

buildProgram().parseAsync(process.argv).catch(fail);

import type { Command } from 'commander';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('start the server, exactly as `npm start` does (settings from TESSERA_* variables)')
    .action(async () => {
      // Loaded only here: the admin commands need none of the server's modules and start faster without them.
      const { reportStartFailure, startServer } = await import('../../start-server.js');
      await startServer().catch(reportStartFailure);
    });
}

import { execFileSync } from 'node:child_process';
import pg from 'pg';

/**
 * Before each measured run, the writes other systems left for later are
 * made now: PostgreSQL's dirty buffers (CHECKPOINT) and the kernel's dirty
 * pages (sync), so they are not flushed during another system's run. Every
 * system, whatever its store, gets the same. This takes one source of
 * interference out; it did not take the disk out of the opaque p99, which
 * follows the virtual disk's own write latency (docs/deployment.md).
 */
export interface QuietDisk {
  (): Promise<void>;
  close(): Promise<void>;
}

/** `pgUrl`: the benchmark's PostgreSQL, or undefined when it is not used. `note` is told once if CHECKPOINT is refused. */
export async function quietDisk(pgUrl: string | undefined, note: (line: string) => void): Promise<QuietDisk> {
  let client: pg.Client | undefined;
  if (pgUrl) {
    client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
    await client.connect();
  }
  const quiet = async () => {
    try {
      await client?.query('CHECKPOINT');
    } catch (err) {
      // CHECKPOINT needs a superuser or pg_checkpoint; without it, sync is all there is.
      note(`PostgreSQL CHECKPOINT before each run refused (${(err as Error).message}); only sync(1) is run`);
      await client?.end();
      client = undefined;
    }
    execFileSync('sync');
  };
  return Object.assign(quiet, { close: async () => void (await client?.end()) });
}

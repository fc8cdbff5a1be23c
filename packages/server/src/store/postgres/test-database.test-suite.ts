import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';

export const TEST_POSTGRES_URL = process.env.TESSERA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Gives a test file schemas of its own, dropped when the file ends, so runs
 * never collide and never touch other data. An unreachable database fails
 * every test that asks for one, never skips it: CI must not pass without
 * PostgreSQL.
 */
export function useTestSchemas(): { freshSchema(): Promise<string>; query: pg.Client['query'] } {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  const created: string[] = [];
  let connected: Promise<void> | undefined;

  const connect = () => {
    connected ??= admin.connect().then(
      () => undefined,
      (err: unknown) => {
        throw new Error(
          `PostgreSQL is not reachable at ${TEST_POSTGRES_URL}: ${(err as Error).message}. ` +
            'Start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, ' +
            'or set TESSERA_TEST_POSTGRES_URL to one that is running.',
        );
      },
    );
    return connected;
  };

  after(async () => {
    if (!connected) return;
    try {
      for (const schema of created) await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    } finally {
      await admin.end().catch(() => {});
    }
  });

  return {
    async freshSchema() {
      await connect();
      const schema = `tessera_test_${randomBytes(6).toString('hex')}`;
      await admin.query(`CREATE SCHEMA ${schema}`);
      created.push(schema);
      return schema;
    },
    query: admin.query.bind(admin) as pg.Client['query'],
  };
}

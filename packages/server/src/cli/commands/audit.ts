import type { Command } from 'commander';
import { json, table } from '../format.js';
import { adminApi, type ConnectionOptions, integer, note, withAdmin, write } from '../options.js';

/** An entry as GET /admin/audit shows it. */
interface AuditEntryView {
  at: string;
  action: string;
  target: string;
  actor: string;
  address: string;
}

interface AuditPage {
  items: AuditEntryView[];
  next_cursor: string | null;
}

const MAX_PAGE = 200;
const DEFAULT_LIMIT = 50;

type AuditOptions = ConnectionOptions & { limit: number; cursor?: string; all?: boolean };

/** Pages through the log, newest first, until `limit` entries (or the end with --all). */
async function readAudit(opts: AuditOptions): Promise<AuditPage> {
  const api = await adminApi(opts);
  const items: AuditEntryView[] = [];
  let cursor: string | null = opts.cursor ?? null;
  for (;;) {
    const want = opts.all ? MAX_PAGE : Math.min(MAX_PAGE, opts.limit - items.length);
    const query = new URLSearchParams({ limit: String(want) });
    if (cursor) query.set('cursor', cursor);
    const page = await api.call<AuditPage>('GET', `/admin/audit?${query}`);
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor || (!opts.all && items.length >= opts.limit)) break;
  }
  return { items, next_cursor: cursor };
}

export function auditCommand(program: Command): void {
  withAdmin(
    program
      .command('audit')
      .description('the audit log: who changed which client, key or trusted issuer, newest first (the admin API)'),
  )
    .option('--limit <n>', `show the newest n entries (default ${DEFAULT_LIMIT})`, integer(1, 1_000_000), DEFAULT_LIMIT)
    .option('--all', 'every entry kept (TESSERA_AUDIT_RETENTION_DAYS)')
    .option('--cursor <cursor>', 'start after this cursor (from a previous --limit)')
    .action(async (opts: AuditOptions) => {
      const page = await readAudit(opts);
      if (opts.json) return write(json(page));
      if (page.items.length === 0) note('no audit entries');
      else
        write(
          table(
            ['AT', 'ACTION', 'TARGET', 'ACTOR', 'ADDRESS'],
            page.items.map((e) => [e.at.replace(/\.\d{3}Z$/, 'Z'), e.action, e.target, e.actor, e.address]),
          ),
        );
      if (page.next_cursor) note(`older entries follow: --cursor ${page.next_cursor}`);
    });
}

import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../core/context.js';
import { activityAnswer, rangeWindow, readRange } from './activity-view.js';
import { encodeAuditCursor, readAuditPage } from './audit-paging.js';
import { ACTIVITY_RESPONSE, AUDIT_PAGE_RESPONSE } from './audit-schemas.js';

/**
 * GET /admin/audit (the audit log, newest first) and GET /admin/activity
 * (tokens issued and failed authentications over the last hour or day).
 * Registered by adminRoutes, behind its admin key check.
 */
export function auditRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/admin/audit', { schema: { response: { 200: AUDIT_PAGE_RESPONSE } } }, async (req, reply) => {
    const page = readAuditPage(req.query as Record<string, unknown>);
    // One extra row tells whether another page follows.
    const rows = await ctx.store.listAudit(page.before, page.limit + 1);
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return reply.header('cache-control', 'no-store').send({
      items: items.map((e) => ({
        at: new Date(e.at).toISOString(),
        action: e.action,
        target: e.target,
        actor: e.actor,
        address: e.address,
      })),
      next_cursor: rows.length > page.limit && last ? encodeAuditCursor(last) : null,
    });
  });

  app.get('/admin/activity', { schema: { response: { 200: ACTIVITY_RESPONSE } } }, async (req, reply) => {
    const range = readRange(req.query as Record<string, unknown>);
    const now = ctx.now();
    const { since, bucketMs } = rangeWindow(range, now);
    const counts = await ctx.activity.read(since, bucketMs);
    return reply.header('cache-control', 'no-store').send(activityAnswer(range, now, counts));
  });
}

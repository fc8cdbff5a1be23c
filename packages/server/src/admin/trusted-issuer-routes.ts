import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TrustedIssuers } from '../federation/trusted-issuers.js';
import type { AuditOrigin } from '../store/types.js';
import { encodeCursor, readPage } from './paging.js';
import { TRUSTED_ISSUER_LIST_RESPONSE, TRUSTED_ISSUER_RESPONSE, trustedIssuerView } from './trusted-issuer-schemas.js';

interface IdParams {
  id: string;
}

/** How a route records an admin change: the log line (admin-routes.ts's audit) and who asked, for the audit log. */
export type Audit = (req: FastifyRequest, action: string, details: Record<string, unknown>) => void;
export type Origin = (req: FastifyRequest) => AuditOrigin;

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}

/**
 * `/admin/trusted-issuers`: as `/admin/clients` (same paging, same error
 * bodies), registered inside the admin plugin so the admin key, the JSON
 * parser and the error handler are the clients' own.
 */
export function trustedIssuerRoutes(app: FastifyInstance, issuers: TrustedIssuers, audit: Audit, origin: Origin): void {
  const view = (r: Parameters<typeof trustedIssuerView>[0]) => trustedIssuerView(r, issuers.audienceOf(r.config));

  app.post('/admin/trusted-issuers', { schema: { response: { 201: TRUSTED_ISSUER_RESPONSE } } }, async (req, reply) => {
    const record = await issuers.create(req.body ?? {}, origin(req));
    audit(req, 'trusted_issuer.create', { id: record.id, issuer: record.config.issuer });
    return noStore(reply).code(201).send(view(record));
  });

  app.get(
    '/admin/trusted-issuers',
    { schema: { response: { 200: TRUSTED_ISSUER_LIST_RESPONSE } } },
    async (req, reply) => {
      const page = readPage(req.query as Record<string, unknown>);
      const rows = await issuers.list(page.after, page.limit + 1);
      const items = rows.slice(0, page.limit);
      const last = items.at(-1);
      return noStore(reply).send({
        items: items.map(view),
        next_cursor: rows.length > page.limit && last ? encodeCursor(last.id) : null,
      });
    },
  );

  app.get<{ Params: IdParams }>(
    '/admin/trusted-issuers/:id',
    { schema: { response: { 200: TRUSTED_ISSUER_RESPONSE } } },
    async (req, reply) => noStore(reply).send(view(await issuers.get(req.params.id))),
  );

  app.patch<{ Params: IdParams }>(
    '/admin/trusted-issuers/:id',
    { schema: { response: { 200: TRUSTED_ISSUER_RESPONSE } } },
    async (req, reply) => {
      const record = await issuers.update(req.params.id, req.body ?? {}, origin(req));
      audit(req, 'trusted_issuer.update', { id: record.id, fields: Object.keys((req.body as object) ?? {}) });
      return noStore(reply).send(view(record));
    },
  );

  app.delete<{ Params: IdParams }>('/admin/trusted-issuers/:id', async (req, reply) => {
    await issuers.delete(req.params.id, origin(req));
    audit(req, 'trusted_issuer.delete', { id: req.params.id });
    return reply.code(204).send();
  });
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../clients/client-registry.js';
import type { ConsoleSessions } from '../console/console-sessions.js';
import type { ServerContext } from '../core/context.js';
import { InvalidClientMetadata } from '../errors/index.js';
import { installErrorHandler } from '../http/error-handler.js';
import { withinDepth } from '../http/json-depth.js';
import { nextRotationAt } from '../tokens/key-rotation-schedule.js';
import { authorizeAdmin } from './admin-auth.js';
import type { AdminKey } from './admin-key.js';
import { auditOrigin, setActorOf } from './audit-actor.js';
import { auditRoutes } from './audit-routes.js';
import { CLIENT_LIST_RESPONSE, CLIENT_RESPONSE, CLIENT_WITH_SECRET_RESPONSE } from './client-schemas.js';
import { clientView } from './client-view.js';
import { encodeCursor, readPage } from './paging.js';
import { trustedIssuerRoutes } from './trusted-issuer-routes.js';

/** Client metadata is shallow; deeper documents are hostile or mistaken. */
const MAX_JSON_DEPTH = 16;

interface IdParams {
  id: string;
}

/**
 * One audit line per admin change: what, on what, by whom (the admin key's
 * holder, from which address) and when (the line's time); never a secret
 * or a metadata value, only the names of changed fields. The audit log
 * proper (GET /admin/audit) is written by the store with the change.
 */
function audit(req: FastifyRequest, action: string, details: Record<string, unknown>): void {
  req.log.info({ audit: action, actor: setActorOf(req) ?? 'admin', ip: req.ip, ...details }, `audit: ${action}`);
}

/** Responses carry secrets (once) and configuration: never cache them. */
function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}

/**
 * The admin API of CONTRACT.md: clients and signing keys, behind the admin key.
 * The client routes declare response schemas (admin/client-schemas.ts), so
 * only the listed fields are serialised. Bodies are validated by zod in the
 * client registry, not by Fastify's ajv: ajv would coerce types ("3600" to
 * 3600) and answer its own error text, where the admin API promises
 * `invalid_client_metadata` with a description of the field at fault.
 */
export async function adminRoutes(
  app: FastifyInstance,
  { ctx, adminKey, sessions }: { ctx: ServerContext; adminKey: AdminKey; sessions?: ConsoleSessions | undefined },
): Promise<void> {
  installErrorHandler(app, 'invalid_client_metadata');
  app.removeAllContentTypeParsers();
  const json = app.getDefaultJsonParser('error', 'error');
  // An empty body counts as `{}` (curl -X POST without -d); anything but JSON is refused.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if ((body as string).trim() === '') return done(null, {});
    json(req, body as string, (err, value) => {
      if (err) return done(err);
      if (!withinDepth(value, MAX_JSON_DEPTH)) return done(new InvalidClientMetadata('the JSON body nests too deeply'));
      done(null, value);
    });
  });
  app.addContentTypeParser('*', (_req, payload, done) => {
    payload.resume();
    payload.on('end', () => done(new InvalidClientMetadata('the body must be application/json')));
    payload.on('error', done);
  });

  app.addHook('onRequest', (req) => authorizeAdmin(req, { ctx, adminKey, sessions }));

  app.post('/admin/clients', { schema: { response: { 201: CLIENT_WITH_SECRET_RESPONSE } } }, async (req, reply) => {
    const { client, secret } = await ctx.clients.create(req.body ?? {}, auditOrigin(req, ctx.auditActors));
    audit(req, 'client.create', { client_id: client.clientId });
    return noStore(reply).code(201).send(clientView(client, secret));
  });

  app.get('/admin/clients', { schema: { response: { 200: CLIENT_LIST_RESPONSE } } }, async (req, reply) => {
    const page = readPage(req.query as Record<string, unknown>);
    // One extra row tells whether another page follows.
    const rows = await ctx.clients.list(page.after, page.limit + 1);
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return noStore(reply).send({
      items: items.map((c) => clientView(c)),
      next_cursor: rows.length > page.limit && last ? encodeCursor(last.clientId) : null,
    });
  });

  app.get<{ Params: IdParams }>(
    '/admin/clients/:id',
    { schema: { response: { 200: CLIENT_RESPONSE } } },
    async (req, reply) => {
      const client = await ctx.clients.get(req.params.id);
      if (!client) throw notFound();
      return noStore(reply).send(clientView(client));
    },
  );

  app.patch<{ Params: IdParams }>(
    '/admin/clients/:id',
    { schema: { response: { 200: CLIENT_WITH_SECRET_RESPONSE } } },
    async (req, reply) => {
      const { client, secret } = await ctx.clients.update(
        req.params.id,
        req.body ?? {},
        auditOrigin(req, ctx.auditActors),
      );
      audit(req, 'client.update', { client_id: client.clientId, fields: Object.keys((req.body as object) ?? {}) });
      return noStore(reply).send(clientView(client, secret));
    },
  );

  app.delete<{ Params: IdParams }>('/admin/clients/:id', async (req, reply) => {
    await ctx.clients.delete(req.params.id, auditOrigin(req, ctx.auditActors));
    audit(req, 'client.delete', { client_id: req.params.id });
    return reply.code(204).send();
  });

  app.post<{ Params: IdParams }>(
    '/admin/clients/:id/secrets',
    { schema: { response: { 201: CLIENT_WITH_SECRET_RESPONSE } } },
    async (req, reply) => {
      const ttl = (req.body as { previous_secret_ttl?: unknown } | undefined)?.previous_secret_ttl ?? 0;
      if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > 30 * 24 * 3600) {
        throw new InvalidClientMetadata('previous_secret_ttl: an integer number of seconds from 0 to 2592000');
      }
      const { client, secret } = await ctx.clients.rotateSecret(req.params.id, ttl, auditOrigin(req, ctx.auditActors));
      audit(req, 'client.rotate_secret', { client_id: client.clientId, previous_secret_ttl: ttl });
      return noStore(reply).code(201).send(clientView(client, secret));
    },
  );

  trustedIssuerRoutes(app, ctx.trustedIssuers, audit, (req) => auditOrigin(req, ctx.auditActors));

  app.post('/admin/keys/rotate', async (req, reply) => {
    const jwk = await ctx.keys.rotate(ctx.now(), auditOrigin(req, ctx.auditActors));
    audit(req, 'keys.rotate', { kid: jwk.kid });
    return noStore(reply).code(201).send(jwk);
  });

  auditRoutes(app, ctx);

  app.get('/admin/keys', async (_req, reply) => {
    const current = ctx.keys.current().kid;
    const next = nextRotationAt(ctx.keys, ctx.config.keyRotationDays * 24 * 3600 * 1000, ctx.now());
    return noStore(reply).send({
      // When the signing key next changes (seconds), by schedule or an already published key; null: only by hand.
      next_rotation_at: next === null ? null : Math.floor(next / 1000),
      items: ctx.keys.list().map((k) => ({
        ...k.jwk,
        status: k.kid === current ? 'signing' : k.retiresAt === null ? 'published' : 'retiring',
        activates_at: Math.floor(k.activatesAt / 1000),
        retires_at: k.retiresAt === null ? null : Math.floor(k.retiresAt / 1000),
      })),
    });
  });
}

import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../../core/context.js';
import { MethodNotAllowed, NotFound, TemporarilyUnavailable } from '../../errors/index.js';
import { STATUS_PATHS, type StatusLists } from '../../status/status-lists.js';

/** The headers every answer carries (app.ts adds them in onSend, which a taken-over stream skips). */
const STREAM_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

/**
 * draft-ietf-oauth-status-list §8: `GET` on a list's uri answers its Status
 * List Token (`application/statuslist+jwt`); an id that names no live list
 * is 404, never an error. And the events stream (Server-Sent Events), a
 * Tessera extension announced in discovery. Both public, as the lists are.
 */
export async function statusListRoutes(app: FastifyInstance, { ctx }: { ctx: ServerContext }): Promise<void> {
  const lists = ctx.statusLists as StatusLists;

  app.get<{ Params: { id: string } }>(STATUS_PATHS.list, async (req, reply) => {
    const jwt = await lists.tokens.get(req.params.id);
    if (jwt === undefined) throw new NotFound('no such status list');
    // Verifiers are told of changes on the events stream; a shared cache must not hold a list back.
    return reply.type('application/statuslist+jwt').header('cache-control', 'no-cache').send(jwt);
  });

  app.get(STATUS_PATHS.events, (req, reply) => {
    if (ctx.lifecycle.draining || !lists.events.hasRoom()) {
      throw new TemporarilyUnavailable('status list events: no room for another subscriber', 5);
    }
    // HEAD (Fastify answers it with this handler): the headers, never a stream that would hold a slot.
    if (req.method === 'HEAD')
      return reply.type('text/event-stream; charset=utf-8').header('cache-control', 'no-store').send();
    reply.hijack();
    lists.events.subscribe(reply.raw, { ...STREAM_HEADERS, 'x-request-id': req.id });
  });

  for (const url of [STATUS_PATHS.list, STATUS_PATHS.events]) {
    app.route({
      method: ['POST', 'PUT', 'PATCH', 'DELETE'],
      url,
      handler: async () => {
        throw new MethodNotAllowed('GET');
      },
    });
  }

  // Before the server waits for its connections to end: the streams never would.
  app.addHook('preClose', (done) => {
    lists.close();
    done();
  });
}

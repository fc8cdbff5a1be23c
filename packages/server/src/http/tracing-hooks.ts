import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PATHS } from '../core/context.js';
import { grantFor } from '../grants/registry.js';
import { ATTR } from '../tracing/attributes.js';
import type { RequestTrace, Tracing } from '../tracing/tracing.js';

/** Probes and scrapes, every few seconds from every orchestrator: traces of them would be noise. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

/** An `error` code as the error bodies carry it (errors/to-wire.ts): anything else is not recorded. */
const ERROR_CODE = /"error":"([a-z_]{1,64})"/;

/**
 * One server span per request, installed only when tracing is on. The span
 * starts in onRequest (in the caller's trace, from `traceparent`) and is
 * made active around the hooks and the handler, so store calls made there
 * are its children; it ends in onResponse with the status code. Callback
 * hooks, like the others in app.ts: no promise per request.
 */
export function installTracingHooks(app: FastifyInstance, tracing: Tracing): void {
  const traces = new WeakMap<FastifyRequest, RequestTrace>();

  app.addHook('onRequest', (req, _reply, done) => {
    const route = req.routeOptions.url;
    if (route !== undefined && UNTRACED.has(route)) return done();
    const t = tracing.startRequest(
      {
        method: req.method,
        route,
        path: route === undefined ? undefined : req.url.split('?')[0],
        scheme: req.protocol,
        clientAddress: req.ip,
        httpVersion: req.raw.httpVersion,
      },
      req.headers,
    );
    traces.set(req, t);
    t.run(done);
  });

  // Body parsing ran outside the span's context (stream events): enter it again for the handler.
  app.addHook('preHandler', (req, _reply, done) => {
    const t = traces.get(req);
    if (t === undefined) return done();
    if (req.routeOptions.url === PATHS.token) noteGrantType(req, t);
    t.run(done);
  });

  app.addHook('onSend', (req, reply, payload, done) => {
    if (reply.statusCode >= 400 && typeof payload === 'string') {
      const code = ERROR_CODE.exec(payload)?.[1];
      if (code !== undefined) traces.get(req)?.set(ATTR.error, code);
    }
    done(null, payload);
  });

  app.addHook('onResponse', (req, reply, done) => {
    traces.get(req)?.end(reply.statusCode);
    traces.delete(req);
    done();
  });

  app.addHook('onRequestAbort', (req, done) => {
    traces.get(req)?.abort();
    traces.delete(req);
    done();
  });
}

/** Only a grant type this server knows is recorded: the parameter may hold anything. */
function noteGrantType(req: FastifyRequest, t: RequestTrace): void {
  const body = req.body;
  if (!(body instanceof Map)) return;
  const types = (body as ReadonlyMap<string, readonly string[]>).get('grant_type');
  const type = types?.[0];
  if (types?.length === 1 && type !== undefined && grantFor(type)) t.set(ATTR.grantType, type);
}

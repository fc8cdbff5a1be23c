import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { AdminKey } from '../admin/admin-key.js';
import { adminRoutes } from '../admin/admin-routes.js';
import { ConfigError } from '../config/load-config.js';
import type { ConsoleSessions } from '../console/console-sessions.js';
import { consoleStatic } from '../console/console-static.js';
import { consoleSessionRoutes } from '../console/session-routes.js';
import type { ServerContext } from '../core/context.js';
import { InvalidClient, NotFound, toWire } from '../errors/index.js';
import { RequestLogger } from '../logging/request-logger.js';
import { tracing } from '../tracing/tracing.js';
import { certificateSource, stripUntrustedHeaders } from './client-certificate.js';
import { installErrorHandler } from './error-handler.js';
import { discoveryRoutes } from './routes/discovery.js';
import { type DegradableServices, healthRoutes } from './routes/health.js';
import { metricsRoute } from './routes/metrics.js';
import { oauthEndpoints } from './routes/oauth-endpoints.js';
import { openapiRoutes } from './routes/openapi.js';
import { statusListRoutes } from './routes/status-lists.js';
import { installTracingHooks } from './tracing-hooks.js';
import { trustProxyFunction } from './trust-proxy.js';

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/**
 * Node checks header and request timeouts only every connectionsCheckingInterval
 * (30 s by default): check every second so a slow client is cut off on time.
 * Headers are capped at 16 KiB (Node's default, made explicit).
 */
const SERVER_OPTIONS = { connectionsCheckingInterval: 1000, maxHeaderSize: 16 * 1024 };

/** Reads the TLS files once at start; a missing or unreadable file stops start-up with its variable's name. */
function readTls(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const read = (file: string, name: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(`${name} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  return { cert: read(certFile, 'TESSERA_TLS_CERT'), key: read(keyFile, 'TESSERA_TLS_KEY') };
}

/**
 * With TESSERA_TLS_CLIENT_CA, every handshake asks for a client certificate
 * (naming those CAs) but lets a connection without one, or with one from
 * another CA, go on: only the token endpoint's methods decide what a
 * certificate is worth (certificate-chain.ts checks the chain itself), and
 * clients that authenticate otherwise are not turned away at the handshake.
 */
function clientCertificateRequest(ctx: ServerContext): {
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  ca?: Buffer;
} {
  const ca = ctx.auth.clientCa;
  return ca ? { requestCert: true, rejectUnauthorized: false, ca: ca.pem } : {};
}

/**
 * Builds the HTTP app (no listening: tests use `inject`, main.ts listens).
 * `degradable`: services /readyz reports on without failing for them.
 */
export function buildApp(
  ctx: ServerContext,
  adminKey: AdminKey,
  degradable: DegradableServices = {},
  /** The console's sessions; undefined: no console (TESSERA_CONSOLE=false), and the admin API takes no cookie. */
  sessions?: ConsoleSessions,
): FastifyInstance {
  const trustProxy = trustProxyFunction(ctx.config.trustProxy);
  const certificates = certificateSource(ctx.config.clientCertHeader, trustProxy);
  // Typed as the default instance: pino's Logger is wider than FastifyBaseLogger.
  const app: FastifyInstance = Fastify({
    loggerInstance: ctx.logger as unknown as FastifyBaseLogger,
    bodyLimit: ctx.config.bodyLimit,
    // A caller's X-Request-Id is kept when it is well-formed, so traces join up.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Our own onResponse hook writes one line per request instead of two.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger, bindings) =>
      new RequestLogger(logger as unknown as Logger, bindings) as unknown as FastifyBaseLogger,
    // Bad JSON with __proto__/constructor keys is refused, never merged.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    routerOptions: { maxParamLength: 256 },
    requestTimeout: ctx.config.requestTimeoutMs,
    // One function, also deciding whether a proxy's client certificate header is believed (http/trust-proxy.ts).
    trustProxy,
    ...(ctx.config.tlsCert && ctx.config.tlsKey
      ? {
          https: {
            ...readTls(ctx.config.tlsCert, ctx.config.tlsKey),
            ...clientCertificateRequest(ctx),
            ...SERVER_OPTIONS,
          },
        }
      : { http: SERVER_OPTIONS }),
  }) as unknown as FastifyInstance;
  // Slowloris: a client that trickles headers is cut off long before the request timeout.
  app.server.headersTimeout = ctx.config.headersTimeoutMs;

  installErrorHandler(app);
  // First, so the request's span is active around every other hook. Off, not even a hook is added.
  if (tracing !== null) installTracingHooks(app, tracing);
  stripUntrustedHeaders(app, certificates);
  if (certificates.header && trustProxy === false) {
    ctx.logger.warn('TESSERA_CLIENT_CERT_HEADER is set but TESSERA_TRUST_PROXY trusts no proxy: the header is ignored');
  }
  if (certificates.header && ctx.config.trustProxy === true) {
    ctx.logger.warn(
      'TESSERA_TRUST_PROXY=true believes TESSERA_CLIENT_CERT_HEADER from any address: list the proxy addresses instead',
    );
  }
  app.setNotFoundHandler((req, reply) => {
    // Through toWire like every error: the path echoed may hold any character.
    const wire = toWire(new NotFound(`no such resource: ${req.method} ${req.url.split('?')[0]?.slice(0, 200)}`));
    return reply.code(wire.status).send(wire.body);
  });
  // Every answer is JSON for machines: nothing may be sniffed, framed, embedded or referred.
  const securityHeaders: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
    ...(ctx.config.tlsCert ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
  // The per-request hooks are callback-style, not async: on the token
  // endpoint's hot path each async hook would cost a promise and a microtask.
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.headers(securityHeaders).header('x-request-id', req.id);
    done(null, payload);
  });
  // Every client-authentication failure is counted by kind; the wire answer stays the same.
  app.addHook('onError', (_req, _reply, err, done) => {
    if (err instanceof InvalidClient) {
      ctx.metrics.authFailed(err.kind);
      ctx.activity.authFailed(err.kind);
    }
    done();
  });
  // One log line per request; the path only: a query string may hold something secret.
  app.addHook('onResponse', (req, reply, done) => {
    ctx.metrics.observeRequest(req.routeOptions.url ?? 'unmatched', req.method, reply.statusCode, reply.elapsedTime);
    // Checked first: below info the line is not even built.
    if (ctx.logger.isLevelEnabled('info')) {
      ctx.logger.info(
        {
          reqId: req.id,
          method: req.method,
          path: req.url.split('?')[0],
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          ip: req.ip,
        },
        'request',
      );
    }
    done();
  });

  app.register(healthRoutes, { ctx, degradable });
  app.register(metricsRoute, { ctx, adminKey });
  app.register(discoveryRoutes, { ctx });
  app.register(oauthEndpoints, { ctx, certificates });
  // The console (TESSERA_CONSOLE): its pages, and sessions that the admin API accepts beside the key.
  app.register(adminRoutes, { ctx, adminKey, sessions });
  if (sessions) {
    app.register(consoleSessionRoutes, { ctx, adminKey, sessions });
    app.register(consoleStatic, { logger: ctx.logger });
  }
  app.register(openapiRoutes);
  if (ctx.statusLists) app.register(statusListRoutes, { ctx });
  return app;
}

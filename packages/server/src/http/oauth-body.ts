import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fromJson, type Params, parseForm } from '../core/params.js';
import { InvalidRequest } from '../errors/index.js';

/** Marks a body whose content type the OAuth endpoints do not speak. */
const UNSUPPORTED = Symbol('unsupported content type');

/**
 * Body parsing for the OAuth endpoints (token, introspection, revocation):
 * form bodies (RFC 6749) and JSON; anything else is `invalid_request`, as
 * the contract says, rather than Fastify's 415. Registered inside the OAuth
 * plugin only, so the admin API keeps plain JSON.
 */
export function registerOAuthBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseForm(body as string));
  });
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    json(req, body as string, (err, value) => {
      if (err) return done(err);
      try {
        done(null, fromJson(value, body as string));
      } catch (e) {
        done(e as Error);
      }
    });
  });
  app.addContentTypeParser('*', (_req, payload, done) => {
    payload.resume();
    payload.on('end', () => done(null, UNSUPPORTED));
    payload.on('error', done);
  });
}

/** The parameters of an OAuth request, refusing query parameters (RFC 6749 §2.3.1, §3.2). */
export function oauthParams(req: FastifyRequest): Params {
  const q = req.url.indexOf('?');
  if (q >= 0 && q < req.url.length - 1) {
    throw new InvalidRequest('parameters must be sent in the request body, not the URL');
  }
  const body = req.body as Params | typeof UNSUPPORTED | undefined;
  if (body === UNSUPPORTED) {
    throw new InvalidRequest('content type must be application/x-www-form-urlencoded or application/json');
  }
  return body ?? new Map();
}

/**
 * The request's one Authorization header, if any. Node keeps only the first
 * of several in `req.headers` and drops the rest unseen; two headers are
 * two credentials, so they are counted in the raw list and refused (RFC 6749
 * §2.3: one authentication method per request). Without a header in
 * `req.headers` there is none in the raw list either: nothing to count.
 */
export function authorizationHeader(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const raw = req.raw.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    // The usual spellings first: no lower-cased copy of every header name.
    const isAuthorization =
      name === 'Authorization' ||
      name === 'authorization' ||
      (name.length === 13 && name.toLowerCase() === 'authorization');
    if (isAuthorization && ++seen > 1) {
      throw new InvalidRequest('more than one Authorization header');
    }
  }
  return header;
}

import { isStoreUnavailable } from '../store/store-errors.js';
import { OAuthError, TemporarilyUnavailable } from './oauth-errors.js';
import { wireText } from './wire-text.js';

export interface WireError {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

/** Fastify's own client errors (bad JSON, bad content type, body too large). */
interface FrameworkError {
  statusCode?: number;
  code?: string;
}

/**
 * The one place that decides what an error looks like on the wire: every
 * description is cut down to RFC 6749 §5.2's characters here. A store
 * that cannot answer is a 503 the client may retry; anything that is not an
 * OAuthError or a 4xx from the framework is a bug: it becomes a bare
 * `server_error` and the details stay in the log.
 */
export function toWire(err: unknown, clientErrorCode = 'invalid_request'): WireError {
  if (isStoreUnavailable(err)) return toWire(new TemporarilyUnavailable('store unavailable'));
  if (err instanceof OAuthError) {
    return {
      status: err.status,
      headers: { ...err.headers },
      body: { error: err.code, error_description: wireText(err.description) },
    };
  }
  const fe = err as FrameworkError;
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      status: fe.statusCode === 413 ? 413 : 400,
      headers: {},
      body: { error: clientErrorCode, error_description: describeFrameworkError(fe) },
    };
  }
  return {
    status: 500,
    headers: {},
    body: { error: 'server_error', error_description: 'internal error' },
  };
}

function describeFrameworkError(fe: FrameworkError): string {
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'empty JSON body';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'malformed request body';
    default:
      return 'malformed request';
  }
}

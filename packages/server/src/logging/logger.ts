import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { redactSecrets } from './redact-secrets.js';

/**
 * Paths pino censors wherever they appear in a log line. Request bodies are
 * never logged at all; these catch headers and any object that slips through.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'client_secret',
  'client_assertion',
  'access_token',
  'token',
  'admin_key',
  '*.client_secret',
  '*.client_assertion',
  '*.access_token',
  '*.token',
  '*.authorization',
];

/**
 * The options every Tessera logger is made with: censored paths, and a hook
 * that removes prefixed secrets from the finished line, wherever they were.
 */
function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: { streamWrite: redactSecrets },
  };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(loggerOptions(level), destination);
}

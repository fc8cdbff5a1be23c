import { type DestinationStream, type Logger, pino } from 'pino';

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

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}

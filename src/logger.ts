import { type DestinationStream, type Logger, type LoggerOptions, destination as pinoDestination, pino } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/**
 * Where a credential could appear in a logged object. pino's redaction runs on every line, so
 * even a careless `logger.info({ headers })` prints `[redacted]` instead of the key.
 */
export const REDACTED_PATHS = [
  'authorization',
  'apiKey',
  'credential',
  'headers.authorization',
  'headers.cookie',
  '*.authorization',
  '*.apiKey',
  '*.credential',
  '*.headers.authorization',
  '*.headers.cookie',
  'req.headers.authorization',
  'request.headers.authorization',
  'config.apiKey',
];

/**
 * Structured JSON logs, one object per line on stdout (or `destination`, which tests use to
 * capture them). With NODE_ENV=development and no destination, lines go through pino-pretty.
 */
export function createLogger(
  config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'environment'>>,
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level: config.logLevel,
    base: { service: 'fine-tunes-gateway' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (destination === undefined && config.environment === 'development') {
    // A worker thread formats the lines; production keeps raw JSON for the log pipeline.
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } },
    });
  }
  // Off the hot path: stdout is written asynchronously (pino flushes what is buffered on exit),
  // instead of one blocking write per request line.
  return pino(options, destination ?? pinoDestination({ dest: 1, sync: false }));
}

import { type DestinationStream, type Logger, pino } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/** Structured JSON logs. Credentials are redacted wherever they could appear. */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'fine-tunes-gateway' },
      redact: {
        paths: ['authorization', 'headers.authorization', 'req.headers.authorization', 'apiKey', 'credential', '*.apiKey'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

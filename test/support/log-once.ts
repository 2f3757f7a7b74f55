/** `node --import tsx test/support/log-once.ts <NODE_ENV>`: one log line the way main.ts makes its logger. */
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

const config = loadConfig({ NODE_ENV: process.argv[2], LOG_LEVEL: 'info' });
createLogger(config).info({ jobs: 3 }, 'hello operator');

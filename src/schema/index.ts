import { builder } from './builder.js';
import './query.js';
import './subscription.js';
import './scalars.js';
import './errors.js';
import './job.js';
import './connection.js';
import './job-status.js';

/** The executable schema, built once at start-up. */
export const schema = builder.toSchema({ sortSchema: false });

import { builder } from './builder.js';
import './query.js';
import './scalars.js';
import './errors.js';
import './job.js';
import './connection.js';

/** The executable schema, built once at start-up. */
export const schema = builder.toSchema({ sortSchema: false });

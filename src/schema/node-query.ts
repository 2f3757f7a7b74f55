import { requireLoaders } from '../context.js';
import { NotFoundError } from '../errors.js';
import { builder } from './builder.js';
import { toFieldError } from './errors.js';
import { assertValidJobId } from './job-id.js';
import { NodeInterface } from './node.js';

builder.queryField('node', (t) =>
  t.field({
    type: NodeInterface,
    nullable: true,
    description:
      'The object with this id, for Relay refetching: a `FineTuneJob` by its `job_id`, through the same per-request loader as `fineTune` (batched, one GET per distinct id). Null when no such job exists for this credential. An invalid id (`InvalidParameter`) or an upstream failure answers null with an error in `errors[]` whose `extensions` carry `code` and `requestId`.',
    args: {
      id: t.arg.id({ required: true, description: 'The id, e.g. a job id such as `ft-202410291653-1c7f`.' }),
    },
    resolve: async (_root, { id }, context) => {
      try {
        assertValidJobId(id);
        return await requireLoaders(context).job.load(id);
      } catch (error) {
        // Relay reads null as "no such object"; every other failure is an error of this field.
        if (error instanceof NotFoundError) return null;
        throw toFieldError(error);
      }
    },
  }),
);

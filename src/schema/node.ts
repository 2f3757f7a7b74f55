import { builder } from './builder.js';

/**
 * Relay's Global Object Identification. The only node type is `FineTuneJob`, whose id is the
 * upstream `job_id` as it is (no type prefix, no encoding): `node(id)` and `fineTune(id)` take the
 * same ids and answer the same job. The `node` root field is in `node-query.ts` (declared after the
 * older root fields, so the schema keeps its field order).
 */
export const NodeInterface = builder.interfaceRef<{ id: string }>('Node').implement({
  description:
    'An object with a globally unique id, refetchable through `node(id:)` (Relay Global Object Identification). Today only `FineTuneJob`.',
  resolveType: () => 'FineTuneJob',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'A globally unique id; for a `FineTuneJob` its `job_id`.' }),
  }),
});

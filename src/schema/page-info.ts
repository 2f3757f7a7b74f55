import { builder } from './builder.js';

/** Where a page sits in its whole list: every connection's `pageInfo` (jobs, log lines). */
export interface PageInfoShape {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export const PageInfoRef = builder.objectRef<PageInfoShape>('PageInfo').implement({
  description: 'Where this page sits in the whole list.',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage', { description: 'True when the list goes on after this page.' }),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage', { description: 'True when this is not the start of the list.' }),
    startCursor: t.exposeString('startCursor', { nullable: true, description: "The first edge's cursor; null on an empty page." }),
    endCursor: t.exposeString('endCursor', { nullable: true, description: "The last edge's cursor; null on an empty page." }),
  }),
});

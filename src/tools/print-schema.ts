import { writeFileSync } from 'node:fs';
import { printClientSchema, printSubgraphSchemaFile } from '../schema/print.js';

/** Writes the checked-in schema artifacts; `test/schema-drift.test.ts` fails when they differ. */
writeFileSync(new URL('../../schema/schema.graphql', import.meta.url), printClientSchema());
writeFileSync(new URL('../../schema/subgraph.graphql', import.meta.url), printSubgraphSchemaFile());
console.log('wrote schema/schema.graphql and schema/subgraph.graphql');

import { writeFileSync } from 'node:fs';
import { printClientSchema } from '../schema/print.js';

/** Writes the checked-in schema artifacts; `test/schema-drift.test.ts` fails when they differ. */
writeFileSync(new URL('../../schema/schema.graphql', import.meta.url), printClientSchema());
console.log('wrote schema/schema.graphql');

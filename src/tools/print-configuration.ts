import { writeFileSync } from 'node:fs';
import { printConfigurationDoc } from './configuration-doc.js';

/** Writes docs/configuration.md; `test/configuration-doc.test.ts` fails when it differs. */
writeFileSync(new URL('../../docs/configuration.md', import.meta.url), printConfigurationDoc());
console.log('wrote docs/configuration.md');

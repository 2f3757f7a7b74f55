import { type Change, CriticalityLevel, type Rule, diff } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';

export interface SchemaReport {
  /** Which artifact was compared, e.g. `schema/schema.graphql`. */
  name: string;
  breaking: Change[];
  dangerous: Change[];
  safe: Change[];
}

/** Federation directives whose removal breaks the supergraph (other subgraphs reference the key). */
const FEDERATION_CONTRACT_DIRECTIVES = new Set(['key']);

/**
 * Inspector rates a removed directive as merely dangerous. For a subgraph, dropping or changing
 * `@key` breaks every subgraph that references the entity, so it is breaking here.
 */
const federationKeysAreContract: Rule = ({ changes }) =>
  changes.map((change) => {
    const directive = (change.meta as { removedDirectiveName?: string; directiveName?: string } | undefined) ?? {};
    const name = directive.removedDirectiveName ?? directive.directiveName;
    const removed = change.type.startsWith('DIRECTIVE_USAGE_') && change.type.endsWith('_REMOVED');
    if (!removed || name === undefined || !FEDERATION_CONTRACT_DIRECTIVES.has(name)) return change;
    return {
      ...change,
      criticality: { level: CriticalityLevel.Breaking, reason: `Other subgraphs resolve this entity by its @${name}.` },
    };
  });

/**
 * Diffs two SDL texts (client schemas or subgraph SDLs: directives need no definitions) with
 * GraphQL Inspector and sorts the changes by criticality.
 */
export async function diffSdl(name: string, oldSdl: string, newSdl: string): Promise<SchemaReport> {
  const build = (sdl: string) => buildSchema(sdl, { assumeValidSDL: true });
  const changes = await diff(build(oldSdl), build(newSdl), [federationKeysAreContract]);
  const at = (level: CriticalityLevel) => changes.filter((change) => change.criticality.level === level);
  return {
    name,
    breaking: at(CriticalityLevel.Breaking),
    dangerous: at(CriticalityLevel.Dangerous),
    safe: at(CriticalityLevel.NonBreaking),
  };
}

export function formatReport(report: SchemaReport): string {
  const lines = [`${report.name}: ${report.breaking.length} breaking, ${report.dangerous.length} dangerous, ${report.safe.length} safe`];
  const list = (label: string, changes: Change[]) => {
    for (const change of changes) {
      const reason = change.criticality.reason ? ` (${change.criticality.reason})` : '';
      lines.push(`  ${label} ${change.message}${label === 'safe     ' ? '' : reason}`);
    }
  };
  list('BREAKING ', report.breaking);
  list('dangerous', report.dangerous);
  list('safe     ', report.safe);
  return lines.join('\n');
}

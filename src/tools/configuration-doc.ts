import { GROUPS, type Group, VARIABLES, type Variable } from '../config.js';

/** docs/configuration.md, printed from the declarations in `src/config.ts`. */
export function printConfigurationDoc(): string {
  const lines = [
    '# Configuration',
    '',
    '> Generated from the declarations in `src/config.ts`: do not edit by hand. After changing them,',
    '> run `npm run docs:config`; `test/configuration-doc.test.ts` fails while this file is stale.',
    '',
    'The gateway reads these environment variables once, at start-up. An unset or blank variable takes',
    'its default. Invalid values stop the start with exit code 2 and a list of every problem at once.',
  ];
  const variables: [string, Variable<unknown>][] = Object.entries(VARIABLES);
  for (const [group, intro] of Object.entries(GROUPS) as [Group, string][]) {
    lines.push('', `## ${group}`, '', intro, '', '| variable | default | meaning |', '| --- | --- | --- |');
    for (const [name, declaration] of variables) {
      if (declaration.group !== group) continue;
      lines.push(`| \`${name}\` | ${cell(shownDefault(declaration))} | ${cell(declaration.meaning)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function shownDefault(declaration: Variable<unknown>): string {
  if (declaration.shownDefault !== undefined) return declaration.shownDefault;
  const value = declaration.default;
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return '—';
  return `\`${String(value)}\``;
}

/** A table cell: pipes would end it. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The architecture, checked: data flows HTTP -> context -> resolver -> loader -> upstream -> wire
 * -> model -> GraphQL, and no module reaches back up. Imports (type-only ones too) are read with
 * the TypeScript compiler's own pre-processor: no type checking, so this stays fast.
 */

const SRC = resolve(import.meta.dirname, '../src');

/** What a layer must never import: everything that calls it. */
const FORBIDDEN: { from: string; to: string[] }[] = [
  {
    from: 'upstream/',
    to: ['schema/', 'http/', 'plugins/', 'loaders/', 'live/', 'telemetry/', 'execution/', 'context.ts', 'server.ts', 'main.ts'],
  },
  // The actions sit beside the loaders: they use upstream/ and live/, never what calls them.
  {
    from: 'actions/',
    to: ['schema/', 'http/', 'plugins/', 'loaders/', 'telemetry/', 'execution/', 'context.ts', 'server.ts', 'main.ts'],
  },
  // The Redis connection and store serve the upstream stack and the pollers: they know neither.
  {
    from: 'redis/',
    to: [
      'schema/',
      'http/',
      'plugins/',
      'loaders/',
      'live/',
      'upstream/',
      'actions/',
      'telemetry/',
      'execution/',
      'model/',
      'context.ts',
      'server.ts',
      'main.ts',
    ],
  },
  // The model is the bottom: plain types and rules, built by upstream/job-mapping.ts.
  { from: 'model/', to: [''] },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** src-relative path -> the src-relative paths it imports (relative specifiers only). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((imported) => imported.fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => relative(SRC, resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))));
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

/** Every cycle's modules (strongly connected components of more than one module, or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const lowlinks = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    lowlinks.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!indices.has(next)) {
        visit(next);
        lowlinks.set(node, Math.min(lowlinks.get(node)!, lowlinks.get(next)!));
      } else if (onStack.has(next)) {
        lowlinks.set(node, Math.min(lowlinks.get(node)!, indices.get(next)!));
      }
    }
    if (lowlinks.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

describe('module graph of src/', () => {
  const graph = importGraph();

  it('resolves every relative import to a file in src/ (the check sees the real graph)', () => {
    const missing = [...graph].flatMap(([file, targets]) =>
      targets.filter((target) => !target.startsWith('..') && !graph.has(target)).map((target) => `${file} -> ${target}`),
    );
    expect(missing).toEqual([]);
    expect(graph.size).toBeGreaterThan(50);
  });

  it('has no import cycles', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it.each(FORBIDDEN)('nothing in $from imports from what sits above it', ({ from, to }) => {
    const violations = [...graph]
      .filter(([file]) => file.startsWith(from))
      .flatMap(([file, targets]) =>
        targets
          .filter((target) => !target.startsWith(from) && to.some((above) => target.startsWith(above)))
          .map((target) => `${file} -> ${target}`),
      );
    expect(violations).toEqual([]);
  });

  it('finds a cycle and a reach upwards when there is one (the check itself works)', () => {
    const bad = new Map([
      ['upstream/a.ts', ['upstream/b.ts', 'loaders/job-loader.ts']],
      ['upstream/b.ts', ['upstream/a.ts']],
      ['loaders/job-loader.ts', []],
    ]);
    expect(cycles(bad)).toEqual([['upstream/a.ts', 'upstream/b.ts']]);
  });
});

import {
  type FieldNode,
  GraphQLError,
  Kind,
  type ObjectFieldNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';

/**
 * Root fields whose resolvers call the upstream: the queries (`fineTuneJobs` a few list pages, the
 * others one GET at most) and the mutations (one action each, plus the fresh read of create's
 * replay, cancel or export).
 */
export const UPSTREAM_FIELDS: ReadonlySet<string> = new Set([
  'fineTune',
  'fineTunes',
  'fineTuneJobs',
  'node',
  'createFineTune',
  'cancelFineTune',
  'deleteFineTune',
  'exportFineTuneCheckpoint',
]);

/** Job fields that cost one upstream GET per job they are asked of (a log page, the checkpoint list). */
export const JOB_UPSTREAM_FIELDS: ReadonlySet<string> = new Set(['logs', 'checkpoints']);

/** Jobs one `fineTunes` page can hold: its literal `page.size`, the default, or (for a variable) the most. */
const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 100;

/**
 * A cost limit that counts what is actually expensive here: upstream calls. Each distinct response
 * key of an upstream-hitting root field is one resolver call, so `a: fineTune(id: "x")` repeated in
 * several fragments counts once while 500 different aliases count 500. A job's `logs` (one log page)
 * and `checkpoints` count one more call per job they are asked of: once under `fineTune`, `node` or
 * a mutation's job, once per job of the page under `fineTunes` (its literal `page.size`, 10 by
 * default, 100 when the size is a variable) and `fineTuneJobs` (its literal `first`/`last`, likewise).
 * Fragments are expanded; `@skip`/`@include` are ignored (the count is an upper bound). Queries and
 * mutations are counted (a subscription's one field polls through a shared poller).
 */
export function maxUpstreamFieldsRule(max: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      if (operation.operation === 'subscription') return;
      const roots = new Map<string, FieldNode[]>();
      collectRootFields(operation.selectionSet, context, roots, new Set());
      let found = 0;
      for (const fields of roots.values()) {
        const perJob = new Set<string>();
        for (const field of fields) if (field.selectionSet) collectJobCalls(field.selectionSet, context, '', perJob, new Set());
        found += 1 + perJob.size * jobsPerCall(fields[0] as FieldNode);
      }
      if (found > max) {
        context.reportError(
          new GraphQLError(
            `The operation asks for ${found} upstream-backed fields (${[...UPSTREAM_FIELDS, ...JOB_UPSTREAM_FIELDS].join(', ')}; logs and checkpoints once per job); at most ${max} are allowed per operation. Split it.`,
            { nodes: [operation], extensions: { code: 'UPSTREAM_FIELD_LIMIT', limit: max, found } },
          ),
        );
      }
    },
  });
}

/** Upstream-hitting root fields by response key. */
function collectRootFields(
  selectionSet: SelectionSetNode,
  context: ValidationContext,
  roots: Map<string, FieldNode[]>,
  fragments: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (!UPSTREAM_FIELDS.has(selection.name.value)) continue;
      const key = selection.alias?.value ?? selection.name.value;
      const fields = roots.get(key);
      if (fields) fields.push(selection);
      else roots.set(key, [selection]);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collectRootFields(selection.selectionSet, context, roots, fragments);
    } else {
      const name = selection.name.value;
      if (fragments.has(name)) continue;
      fragments.add(name);
      const fragment = context.getFragment(name);
      if (fragment) collectRootFields(fragment.selectionSet, context, roots, fragments);
    }
  }
}

/** The response paths (below one root field) of `logs`/`checkpoints` selections: each is one call per job. */
function collectJobCalls(
  selectionSet: SelectionSetNode,
  context: ValidationContext,
  path: string,
  calls: Set<string>,
  fragments: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const key = `${path}.${selection.alias?.value ?? selection.name.value}`;
      if (JOB_UPSTREAM_FIELDS.has(selection.name.value)) calls.add(key);
      else if (selection.selectionSet) collectJobCalls(selection.selectionSet, context, key, calls, fragments);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collectJobCalls(selection.selectionSet, context, path, calls, fragments);
    } else {
      const name = selection.name.value;
      const seen = `${path}#${name}`;
      if (fragments.has(seen)) continue;
      fragments.add(seen);
      const fragment = context.getFragment(name);
      if (fragment) collectJobCalls(fragment.selectionSet, context, path, calls, fragments);
    }
  }
}

/** Jobs a root field answers: the page size for `fineTunes` and `fineTuneJobs`, one for the others. */
function jobsPerCall(field: FieldNode): number {
  if (field.name.value === 'fineTunes') {
    const page = argument(field, 'page');
    if (page === undefined || page.kind === Kind.NULL) return DEFAULT_PAGE_SIZE;
    if (page.kind !== Kind.OBJECT) return MAX_PAGE_SIZE;
    return pageSize(page.fields.find((entry: ObjectFieldNode) => entry.name.value === 'size')?.value);
  }
  if (field.name.value === 'fineTuneJobs') {
    const first = argument(field, 'first');
    return pageSize(first === undefined || first.kind === Kind.NULL ? argument(field, 'last') : first);
  }
  return 1;
}

function argument(field: FieldNode, name: string): ValueNode | undefined {
  return field.arguments?.find((entry) => entry.name.value === name)?.value;
}

/** A literal size (clamped to 1..100), the default when absent or null, the most for a variable. */
function pageSize(size: ValueNode | undefined): number {
  if (size === undefined || size.kind === Kind.NULL) return DEFAULT_PAGE_SIZE;
  return size.kind === Kind.INT ? Math.min(MAX_PAGE_SIZE, Math.max(1, Number(size.value))) : MAX_PAGE_SIZE;
}

import { GraphQLError, Kind, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';

/**
 * Root fields whose resolvers call the upstream: the queries (`fineTuneJobs` a few list pages, the
 * others one GET at most) and the mutations (one action each, plus the fresh read of create's
 * replay or cancel).
 */
export const UPSTREAM_FIELDS: ReadonlySet<string> = new Set([
  'fineTune',
  'fineTunes',
  'fineTuneJobs',
  'node',
  'createFineTune',
  'cancelFineTune',
  'deleteFineTune',
]);

/**
 * A cost limit that counts what is actually expensive here: upstream calls. Each distinct response
 * key of an upstream-hitting root field is one resolver call, so `a: fineTune(id: "x")` repeated in
 * several fragments counts once while 500 different aliases count 500. Fragments are expanded;
 * `@skip`/`@include` are ignored (the count is an upper bound). Queries and mutations are counted
 * (a subscription's one field polls through a shared poller).
 */
export function maxUpstreamFieldsRule(max: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      if (operation.operation === 'subscription') return;
      const keys = new Set<string>();
      collectRootKeys(operation.selectionSet, context, keys, new Set());
      if (keys.size > max) {
        context.reportError(
          new GraphQLError(
            `The operation asks for ${keys.size} upstream-backed fields (${[...UPSTREAM_FIELDS].join(', ')}); at most ${max} are allowed per operation. Split it.`,
            { nodes: [operation], extensions: { code: 'UPSTREAM_FIELD_LIMIT', limit: max, found: keys.size } },
          ),
        );
      }
    },
  });
}

function collectRootKeys(selectionSet: SelectionSetNode, context: ValidationContext, keys: Set<string>, fragments: Set<string>): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (UPSTREAM_FIELDS.has(selection.name.value)) keys.add(selection.alias?.value ?? selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collectRootKeys(selection.selectionSet, context, keys, fragments);
    } else {
      const name = selection.name.value;
      if (fragments.has(name)) continue;
      fragments.add(name);
      const fragment = context.getFragment(name);
      if (fragment) collectRootKeys(fragment.selectionSet, context, keys, fragments);
    }
  }
}

import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { type DocumentNode, GraphQLError, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { OperationLimits } from '../config.js';
import { maxUpstreamFieldsRule } from './max-upstream-fields.js';

/**
 * Refuses hostile or runaway operations before they execute, so they cost neither CPU nor an
 * upstream call: graphql-armor's token, alias, depth, directive and structural-cost limits, plus our
 * own count of upstream-hitting fields. Token and alias limits apply to every document.
 *
 * Introspection (GraphiQL's Docs pane) needs more depth and cost than an operation (the standard
 * introspection query is 21 deep, cost about 87,000), so armor's per-operation depth and cost
 * limits skip `__schema`, and introspection has limits of its own instead (it used to have none:
 * 99 aliased `__schema` selections, or a 1,600-deep `ofType` chain, blocked the event loop for
 * seconds):
 * - a depth ceiling counted through introspection (`INTROSPECTION_MAX_DEPTH`, armor's depth rule);
 * - a cost ceiling counted through introspection (`INTROSPECTION_MAX_COST`, armor's cost rule);
 * - at most one `__schema` field per document (`singleSchemaFieldRule`): its answer is the same
 *   every time, so a second (aliased) copy is only ever a way to multiply the work;
 * - graphql-js's own `MaxIntrospectionDepthRule` (in the specified rules) bounds the list fan-out
 *   (`fields { type { fields … } } }`).
 */
export function useOperationLimits(limits: OperationLimits): Plugin {
  // Armor's validation rules throw by default, which escapes graphql-js `validate` and reaches the
  // client as an HTTP 200. Reported as validation errors instead, they answer 400 like any other.
  const asValidationError = {
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
  };
  const armor = EnvelopArmorPlugin({
    // Tokens are counted while parsing; going over throws a syntax error (HTTP 400) at once.
    maxTokens: { n: limits.maxTokens },
    // `__typename` aliases stay free (armor's default allow-list): they cost nothing to resolve.
    maxAliases: { n: limits.maxAliases, ...asValidationError },
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, ...asValidationError },
    maxDirectives: { n: limits.maxDirectives, ...asValidationError },
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true, ...asValidationError },
    // "Did you mean …?" hints would map the schema for a scanner; GraphiQL has the Docs pane.
    blockFieldSuggestion: { enabled: true },
  });
  const introspectionRules: ValidationRule[] = [
    maxDepthRule({ n: Math.max(limits.maxDepth, INTROSPECTION_MAX_DEPTH), ignoreIntrospection: false, ...asValidationError }),
    costLimitRule({ maxCost: Math.max(limits.maxCost, INTROSPECTION_MAX_COST), ignoreIntrospection: false, ...asValidationError }),
    singleSchemaFieldRule,
  ];
  // Selection sets nested deeper than any depth limit allows are refused before validation runs:
  // graphql-js's own rules (overlapping fields) cost the square of the nesting, so a 1,600-deep
  // chain blocked the loop for 180 ms before the depth rule, which runs beside them, refused it.
  const maxNesting = 2 * Math.max(limits.maxDepth, INTROSPECTION_MAX_DEPTH);
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(armor as Plugin);
    },
    onValidate({ params, addValidationRule, setResult }) {
      if (nestingExceeds(params.documentAST, maxNesting)) {
        setResult([
          new GraphQLError(`Query depth limit of ${maxNesting} exceeded: selection sets nested more than ${maxNesting} deep.`, {
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          }),
        ]);
        return;
      }
      addValidationRule(maxUpstreamFieldsRule(limits.maxUpstreamFields));
      for (const rule of introspectionRules) addValidationRule(rule);
    },
  };
}

/** Above the standard introspection query's depth (21) and GraphiQL's, far below a hostile chain. */
export const INTROSPECTION_MAX_DEPTH = 30;
/** Above the standard introspection query's cost (about 87,500 with descriptions), by armor's measure. */
export const INTROSPECTION_MAX_COST = 150_000;

/** Whether any definition of `document` nests selection sets (fields', inline fragments') more than `limit` deep; iterative, linear. */
export function nestingExceeds(document: DocumentNode, limit: number): boolean {
  const stack: [SelectionSetNode, number][] = [];
  for (const definition of document.definitions) {
    if ('selectionSet' in definition && definition.selectionSet) stack.push([definition.selectionSet, 1]);
  }
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [set, depth] = next;
    if (depth > limit) return true;
    for (const selection of set.selections) {
      if (selection.kind !== 'FragmentSpread' && selection.selectionSet) stack.push([selection.selectionSet, depth + 1]);
    }
  }
  return false;
}

/** At most one `__schema` selection per document. */
const singleSchemaFieldRule: ValidationRule = (context) => {
  let seen = 0;
  return {
    Field(node) {
      if (node.name.value !== '__schema') return;
      seen++;
      if (seen === 2) {
        context.reportError(
          new GraphQLError('At most one __schema selection per document.', {
            nodes: [node],
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          }),
        );
      }
    },
  };
};

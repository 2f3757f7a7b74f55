import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GraphQLError, ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { OperationLimits } from '../config.js';
import { maxUpstreamFieldsRule } from './max-upstream-fields.js';

/**
 * Refuses hostile or runaway operations before they execute, so they cost neither CPU nor an
 * upstream call: graphql-armor's token, alias, depth, directive and structural-cost limits, plus our
 * own count of upstream-hitting fields. Introspection (GraphiQL's Docs pane) is exempt from depth
 * and cost; token limits apply to every document.
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
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(armor as Plugin);
    },
    onValidate({ addValidationRule }) {
      addValidationRule(maxUpstreamFieldsRule(limits.maxUpstreamFields));
    },
  };
}

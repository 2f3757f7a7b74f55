import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
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
  const armor = EnvelopArmorPlugin({
    maxTokens: { n: limits.maxTokens },
    maxAliases: { n: limits.maxAliases },
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true },
    maxDirectives: { n: limits.maxDirectives },
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true },
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

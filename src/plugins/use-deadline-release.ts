import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';

/**
 * Releases the operation deadline's timer and request hook when execution ends, instead of leaving
 * them until the timeout (thousands per second under load). Subscriptions keep theirs: their events
 * may still call the upstream, and the timer is unref'd and fires harmlessly.
 */
export function useDeadlineRelease(): Plugin<Context> {
  return {
    onExecute({ args }) {
      return {
        onExecuteDone() {
          args.contextValue.deadline.dispose();
        },
      };
    },
  };
}

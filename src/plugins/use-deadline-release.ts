import { type Plugin, isAsyncIterable } from 'graphql-yoga';
import type { Context } from '../context.js';

/**
 * Releases the operation deadline's timer and request hook when execution ends, instead of leaving
 * them until the timeout (thousands per second under load). An incremental result (`@defer`,
 * `@stream`) releases them after its last part: its deferred fields still call the upstream within
 * the operation's deadline. Subscriptions keep theirs: their events may still call the upstream, and
 * the timer is unref'd and fires harmlessly.
 */
export function useDeadlineRelease(): Plugin<Context> {
  return {
    onExecute({ args }) {
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) {
            args.contextValue.deadline.dispose();
            return undefined;
          }
          return { onEnd: () => args.contextValue.deadline.dispose() };
        },
      };
    },
  };
}

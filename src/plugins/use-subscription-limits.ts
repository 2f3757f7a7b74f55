import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { AuthenticationError } from '../errors.js';
import type { UpstreamCredential } from '../upstream/credential.js';

export const SUBSCRIPTION_LIMIT_CODE = 'SUBSCRIPTION_LIMIT';

export interface SubscriptionLimits {
  /** Live subscriptions of one client (see `clientOf`). */
  perClient: number;
  /** Live subscriptions of the whole gateway. */
  total: number;
  /**
   * Who a client is: `credential` counts by the caller's credential digest (forwarding mode: each
   * key its own count, never the key itself), `address` by the connection's remote address (with the
   * server's own key every caller has the same credential).
   */
  clientBy: 'credential' | 'address';
}

export interface SubscriptionCounts {
  /** Live subscriptions now. */
  total(): number;
  /** Live subscriptions of the busiest client now. */
  clients(): number;
}

interface SubscriberContext {
  credential?: UpstreamCredential | AuthenticationError;
  req?: { socket?: { remoteAddress?: string | undefined } | null };
}

/**
 * Bounds live subscriptions (each holds a connection, an SSE stream and a share of a job poller):
 * per client and in total. A subscription over a limit gets one result, `{ errors: [{ message,
 * extensions: { code: 'SUBSCRIPTION_LIMIT', limit, scope: 'client' | 'total' } }] }`, and nothing
 * starts (no poller, no upstream call). A subscription counts until its stream ends, however it
 * ends (completed, failed, the client gone, the gateway draining).
 */
export function useSubscriptionLimits(limits: SubscriptionLimits): { plugin: Plugin; counts: SubscriptionCounts } {
  let total = 0;
  const byClient = new Map<string, number>();

  const clientOf = (context: SubscriberContext): string => {
    if (limits.clientBy === 'credential' && context.credential !== undefined && !(context.credential instanceof AuthenticationError)) {
      return `credential:${context.credential.scope}`;
    }
    return `address:${context.req?.socket?.remoteAddress ?? 'unknown'}`;
  };

  const refuse = (scope: 'client' | 'total', limit: number): ExecutionResult => ({
    errors: [
      new GraphQLError(
        scope === 'client'
          ? `Too many live subscriptions from this client: at most ${limit} at once. Close one before opening another.`
          : `Too many live subscriptions on this server: at most ${limit} at once. Retry later.`,
        { extensions: { code: SUBSCRIPTION_LIMIT_CODE, limit, scope } },
      ),
    ],
  });

  const plugin: Plugin = {
    onSubscribe({ args, setResultAndStopExecution }) {
      const client = clientOf(args.contextValue as SubscriberContext);
      const own = byClient.get(client) ?? 0;
      if (own >= limits.perClient) {
        setResultAndStopExecution(refuse('client', limits.perClient));
        return;
      }
      if (total >= limits.total) {
        setResultAndStopExecution(refuse('total', limits.total));
        return;
      }
      total += 1;
      byClient.set(client, own + 1);
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        total -= 1;
        const left = (byClient.get(client) ?? 1) - 1;
        if (left === 0) byClient.delete(client);
        else byClient.set(client, left);
      };
      return {
        onSubscribeResult({ result }) {
          // No stream (the operation failed before it started): nothing stays open.
          if (!isAsyncIterable(result)) {
            release();
            return;
          }
          return { onEnd: release };
        },
      };
    },
  };

  return {
    plugin,
    counts: {
      total: () => total,
      clients: () => Math.max(0, ...byClient.values()),
    },
  };
}

function isAsyncIterable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

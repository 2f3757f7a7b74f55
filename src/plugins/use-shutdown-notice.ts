import { type ExecutionResult, GraphQLError } from 'graphql';
import { type Plugin, Repeater } from 'graphql-yoga';

export const SHUTTING_DOWN_CODE = 'SHUTTING_DOWN';

/**
 * Ends every live subscription when the gateway starts draining (`signal` aborts), with one last
 * result that says why: `{ errors: [{ message: 'The server is shutting down…', extensions: { code:
 * 'SHUTTING_DOWN' } }] }`, sent as an SSE `event: next` before Yoga closes the stream. A plain
 * `complete` would tell a client the subscription is over; this one tells it to subscribe again
 * (elsewhere: `/ready` already answers 503). Subscriptions that start while draining get the same
 * notice at once.
 */
export function useShutdownNotice(signal: AbortSignal): Plugin {
  return {
    onSubscribe() {
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(untilShutdown(result, signal));
        },
      };
    },
  };
}

function goingAway(): ExecutionResult {
  return {
    errors: [new GraphQLError('The server is shutting down; subscribe again to continue.', { extensions: { code: SHUTTING_DOWN_CODE } })],
  };
}

function untilShutdown(source: AsyncIterable<ExecutionResult>, signal: AbortSignal): AsyncIterableIterator<ExecutionResult> {
  return new Repeater<ExecutionResult>(async (push, stop) => {
    const iterator = source[Symbol.asyncIterator]();
    const onDrain = (): void => {
      // Pushed before stop: a repeater delivers the values pushed before it stopped.
      void push(goingAway());
      stop();
    };
    signal.addEventListener('abort', onDrain, { once: true });
    if (signal.aborted) onDrain();
    const stopped = stop.then(() => ({ done: true as const, value: undefined }));
    try {
      for (;;) {
        const next = await Promise.race([iterator.next(), stopped]);
        if (next.done) break;
        await push(next.value);
      }
      stop();
    } catch (error) {
      stop(error);
    } finally {
      signal.removeEventListener('abort', onDrain);
      // Ends the source (the job poller's subscription) whether it finished, failed or was cut. Not
      // awaited: a source with a next() pending may settle its return() only after that next(),
      // and the repeater's last result waits for this function.
      Promise.resolve(iterator.return?.()).catch(() => undefined);
    }
  });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

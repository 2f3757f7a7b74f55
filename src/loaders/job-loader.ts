import DataLoader from 'dataloader';
import type { FineTuneJob } from '../model/fine-tune-job.js';
import type { FineTunesClient } from '../upstream/client.js';
import type { UpstreamCredential } from '../upstream/credential.js';
import type { CallSignal, UpstreamCallRecorder } from '../upstream/layer.js';

export type JobLoader = DataLoader<string, FineTuneJob>;

export interface JobLoaderOptions {
  client: FineTunesClient;
  credential: UpstreamCredential;
  /** The operation's deadline signal, made only when a call really goes upstream. */
  signal: () => CallSignal;
  /** The request the loader serves: its upstream calls are reported there. */
  recorder?: UpstreamCallRecorder | undefined;
  /** Called with the number of keys of each batch (the batch-size metric). */
  onBatch?: ((size: number) => void) | undefined;
  /** Upstream GETs one batch runs at once. @default 8 */
  concurrency?: number;
}

/**
 * One loader per GraphQL request (see `context.ts`): its cache lives exactly as long as the
 * operation, so nothing is shared across callers. The upstream has no batch endpoint, so a batch is
 * one GET per distinct id, run with bounded concurrency; DataLoader's cache makes duplicates free.
 */
export function createJobLoader(options: JobLoaderOptions): JobLoader {
  const { client, credential, signal, recorder, onBatch } = options;
  const concurrency = options.concurrency ?? 8;
  return new DataLoader<string, FineTuneJob>((ids) => {
    onBatch?.(ids.length);
    return mapSettled(ids, concurrency, async (id) => (await client.getJob(id, credential, signal, recorder)).job);
  });
}

/**
 * Runs `work` over `items` at most `limit` at a time and returns, in order, each value or its
 * Error: exactly what DataLoader expects of a batch function, so one failure stays with its key.
 */
async function mapSettled<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<(R | Error)[]> {
  // The common case, one id per operation: no workers to set up.
  if (items.length === 1) return [await work(items[0] as T).catch(asError)];
  const results = new Array<R | Error>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T);
      } catch (error) {
        results[index] = asError(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

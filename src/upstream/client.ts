import type { UpstreamCredential } from './credential.js';
import { type DecodedJob, type DecodedPage, decodeJob, decodePage } from './decode.js';
import { type ListQuery, jobPath, listPath } from './job-path.js';
import type { Send, UpstreamCallRecorder } from './layer.js';

/** An abort signal, or a function that makes one when a call is really sent (cache hits never do). */
export type SignalSource = AbortSignal | (() => AbortSignal);

/**
 * The two upstream endpoints, typed. Every failure is thrown as a domain error (`errors.ts`).
 * `recorder` is the GraphQL request the call serves (logs, traces); omit it for background work.
 */
export interface FineTunesClient {
  getJob(id: string, credential: UpstreamCredential, signal?: SignalSource, recorder?: UpstreamCallRecorder): Promise<DecodedJob>;
  listJobs(query: ListQuery, credential: UpstreamCredential, signal?: SignalSource, recorder?: UpstreamCallRecorder): Promise<DecodedPage>;
}

export function createFineTunesClient(send: Send): FineTunesClient {
  return {
    async getJob(id, credential, signal, recorder) {
      const path = jobPath(id);
      return decodeJob(await send({ endpoint: 'getJob', path, credential, signal: resolveSignal(signal), recorder }));
    },
    async listJobs(query, credential, signal, recorder) {
      const path = listPath(query);
      return decodePage(await send({ endpoint: 'listJobs', path, credential, signal: resolveSignal(signal), recorder }));
    },
  };
}

function resolveSignal(source: SignalSource | undefined): AbortSignal | undefined {
  return typeof source === 'function' ? source() : source;
}

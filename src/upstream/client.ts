import type { UpstreamCredential } from './credential.js';
import { type DecodedJob, type DecodedPage, decodeJob, decodePage } from './decode.js';
import { type ListQuery, jobPath, listPath } from './job-path.js';
import type { Send, UpstreamCallRecorder } from './transport.js';

/**
 * The two upstream endpoints, typed. Every failure is thrown as a domain error (`errors.ts`).
 * `recorder` is the GraphQL request the call serves (logs, traces); omit it for background work.
 */
export interface FineTunesClient {
  getJob(id: string, credential: UpstreamCredential, signal?: AbortSignal, recorder?: UpstreamCallRecorder): Promise<DecodedJob>;
  listJobs(query: ListQuery, credential: UpstreamCredential, signal?: AbortSignal, recorder?: UpstreamCallRecorder): Promise<DecodedPage>;
}

export function createFineTunesClient(send: Send): FineTunesClient {
  return {
    async getJob(id, credential, signal, recorder) {
      return decodeJob(await send({ endpoint: 'getJob', path: jobPath(id), credential, signal, recorder }));
    },
    async listJobs(query, credential, signal, recorder) {
      return decodePage(await send({ endpoint: 'listJobs', path: listPath(query), credential, signal, recorder }));
    },
  };
}

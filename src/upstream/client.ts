import type { UpstreamCredential } from './credential.js';
import { type DecodedJob, type DecodedPage, decodeJob, decodePage } from './decode.js';
import { type ListQuery, jobPath, listPath } from './job-path.js';
import type { Send } from './transport.js';

/** The two upstream endpoints, typed. Every failure is thrown as a domain error (`errors.ts`). */
export interface FineTunesClient {
  getJob(id: string, credential: UpstreamCredential, signal?: AbortSignal): Promise<DecodedJob>;
  listJobs(query: ListQuery, credential: UpstreamCredential, signal?: AbortSignal): Promise<DecodedPage>;
}

export function createFineTunesClient(send: Send): FineTunesClient {
  return {
    async getJob(id, credential, signal) {
      return decodeJob(await send({ endpoint: 'getJob', path: jobPath(id), credential, signal }));
    },
    async listJobs(query, credential, signal) {
      return decodePage(await send({ endpoint: 'listJobs', path: listPath(query), credential, signal }));
    },
  };
}

import { UpstreamError } from '../errors.js';
import { type FineTuneCheckpoint, newestStepFirst } from '../model/fine-tune-checkpoint.js';
import type { FineTuneJob } from '../model/fine-tune-job.js';
import type { LogPage } from '../model/fine-tune-log.js';
import { toFineTuneCheckpoint } from './checkpoint-mapping.js';
import type { UpstreamCredential } from './credential.js';
import {
  decodeAcknowledgement,
  decodeActionJob,
  decodeCheckpoints,
  decodeExportReceipt,
  decodeJob,
  decodeLogPage,
  decodePage,
} from './decode.js';
import { isWireJob, mapOnce } from './job-mapping.js';
import {
  CREATE_PATH,
  type ExportTarget,
  type ListQuery,
  type LogRange,
  cancelPath,
  checkpointsPath,
  exportPath,
  jobPath,
  listPath,
  logsPath,
} from './job-path.js';
import type { CallSignal, Send, UpstreamCallRecorder } from './layer.js';
import type { WireCreateJob } from './wire.js';

/** An abort signal, or a function that makes one when a call is really sent (cache hits never do). */
export type SignalSource = CallSignal | (() => CallSignal);

export interface FetchedJob {
  requestId: string | null;
  job: FineTuneJob;
}

export interface JobPage {
  requestId: string | null;
  pageNumber: number | null;
  pageSize: number | null;
  total: number | null;
  /** The page's jobs; entries without a job id (which cannot be a job) are left out. */
  jobs: readonly FineTuneJob[];
}

export interface CheckpointList {
  requestId: string | null;
  /** Newest step first; entries with nothing to identify them by are left out. */
  checkpoints: readonly FineTuneCheckpoint[];
}

/** An action's acknowledgement (cancel, delete): the upstream says only that it accepted it. */
export interface Acknowledged {
  requestId: string | null;
}

/** An export's answer: `submitted` false means the upstream did not take it (nothing changed). */
export interface ExportReceipt {
  requestId: string | null;
  submitted: boolean;
}

/**
 * The upstream endpoints, typed, answering the gateway's model. Every failure is thrown as a
 * domain error (`errors.ts`). `recorder` is the GraphQL request the call serves (logs, traces);
 * omit it for background work.
 *
 * Reads are idempotent (retried, shared); the actions `createJob`, `cancelJob`, `deleteJob` and
 * `exportCheckpoint` (a GET that changes state) are sent as `idempotent: false`: at most once (see `retry.ts`), never shared with another call.
 */
export interface FineTunesClient {
  getJob(id: string, credential: UpstreamCredential, signal?: SignalSource, recorder?: UpstreamCallRecorder): Promise<FetchedJob>;
  listJobs(query: ListQuery, credential: UpstreamCredential, signal?: SignalSource, recorder?: UpstreamCallRecorder): Promise<JobPage>;
  /** `range.line` (1..1000) lines of a job's log from position `range.offset`. */
  getJobLogs(
    id: string,
    range: LogRange,
    credential: UpstreamCredential,
    signal?: SignalSource,
    recorder?: UpstreamCallRecorder,
  ): Promise<LogPage>;
  listCheckpoints(
    id: string,
    credential: UpstreamCredential,
    signal?: SignalSource,
    recorder?: UpstreamCallRecorder,
  ): Promise<CheckpointList>;
  /** `POST /fine-tunes`: the new job, as the upstream answered it. */
  createJob(
    body: WireCreateJob,
    credential: UpstreamCredential,
    signal?: SignalSource,
    recorder?: UpstreamCallRecorder,
  ): Promise<FetchedJob>;
  /** `POST /fine-tunes/{id}/cancel`. */
  cancelJob(id: string, credential: UpstreamCredential, signal?: SignalSource, recorder?: UpstreamCallRecorder): Promise<Acknowledged>;
  /** `DELETE /fine-tunes/{id}`. */
  deleteJob(id: string, credential: UpstreamCredential, signal?: SignalSource, recorder?: UpstreamCallRecorder): Promise<Acknowledged>;
  /** `GET /fine-tunes/{id}/export/{checkpoint}?model_name=`: whether the upstream submitted the export. */
  exportCheckpoint(
    id: string,
    target: ExportTarget,
    credential: UpstreamCredential,
    signal?: SignalSource,
    recorder?: UpstreamCallRecorder,
  ): Promise<ExportReceipt>;
}

/** `utcOffset` is the zone the upstream's zone-less times are read in (see `job-mapping.ts`). */
export function createFineTunesClient(send: Send, utcOffset: string): FineTunesClient {
  // Callers that joined one in-flight call share its decoded entries: map them, and list them, once.
  const pages = new WeakMap<unknown[], FineTuneJob[]>();
  const mapPage = (entries: unknown[]): FineTuneJob[] => {
    let jobs = pages.get(entries);
    if (jobs === undefined) {
      jobs = [];
      for (const entry of entries) if (isWireJob(entry)) jobs.push(mapOnce(entry, utcOffset));
      pages.set(entries, jobs);
    }
    return jobs;
  };
  return {
    async getJob(id, credential, signal, recorder) {
      const path = jobPath(id);
      const decoded = decodeJob(await send({ endpoint: 'getJob', path, credential, signal: resolveSignal(signal), recorder }));
      // The reply must be the job asked for: a body naming another job (a crossed reply from a proxy
      // or cache on the way, or an upstream bug) would show one job's data, possibly another
      // tenant's, under this id. Thrown here, below the finished-job cache, so it is never cached.
      if (decoded.job.job_id !== id) {
        throw new UpstreamError(
          'The upstream answered with a different job than the one asked for.',
          'MismatchedJob',
          decoded.requestId,
          null,
        );
      }
      return { requestId: decoded.requestId, job: mapOnce(decoded.job, utcOffset) };
    },
    async listJobs(query, credential, signal, recorder) {
      const path = listPath(query);
      const decoded = decodePage(await send({ endpoint: 'listJobs', path, credential, signal: resolveSignal(signal), recorder }));
      return { ...decoded, jobs: mapPage(decoded.jobs) };
    },
    async getJobLogs(id, range, credential, signal, recorder) {
      const path = logsPath(id, range);
      const reply = await send({ endpoint: 'getJobLogs', path, credential, signal: resolveSignal(signal), recorder });
      const decoded = decodeLogPage(reply, range.line);
      return { requestId: decoded.requestId, offset: range.offset, total: decoded.total, lines: decoded.lines };
    },
    async listCheckpoints(id, credential, signal, recorder) {
      const path = checkpointsPath(id);
      const decoded = decodeCheckpoints(
        await send({ endpoint: 'listCheckpoints', path, credential, signal: resolveSignal(signal), recorder }),
      );
      const checkpoints: FineTuneCheckpoint[] = [];
      for (const entry of decoded.checkpoints) {
        const checkpoint = toFineTuneCheckpoint(entry, id, utcOffset);
        if (checkpoint !== null) checkpoints.push(checkpoint);
      }
      return { requestId: decoded.requestId, checkpoints: newestStepFirst(checkpoints) };
    },
    async createJob(body, credential, signal, recorder) {
      const reply = await send({
        endpoint: 'createJob',
        method: 'POST',
        path: CREATE_PATH,
        body: JSON.stringify(body),
        idempotent: false,
        credential,
        signal: resolveSignal(signal),
        recorder,
      });
      const decoded = decodeActionJob(reply);
      return { requestId: decoded.requestId, job: mapOnce(decoded.job, utcOffset) };
    },
    async cancelJob(id, credential, signal, recorder) {
      const path = cancelPath(id);
      return decodeAcknowledgement(
        await send({ endpoint: 'cancelJob', method: 'POST', path, idempotent: false, credential, signal: resolveSignal(signal), recorder }),
      );
    },
    async deleteJob(id, credential, signal, recorder) {
      const path = jobPath(id);
      return decodeAcknowledgement(
        await send({
          endpoint: 'deleteJob',
          method: 'DELETE',
          path,
          idempotent: false,
          credential,
          signal: resolveSignal(signal),
          recorder,
        }),
      );
    },
    async exportCheckpoint(id, target, credential, signal, recorder) {
      const path = exportPath(id, target);
      return decodeExportReceipt(
        await send({ endpoint: 'exportCheckpoint', path, idempotent: false, credential, signal: resolveSignal(signal), recorder }),
      );
    },
  };
}

function resolveSignal(source: SignalSource | undefined): CallSignal | undefined {
  return typeof source === 'function' ? source() : source;
}

import { createHash } from 'node:crypto';
import { ConflictError, GatewayError, NotFoundError, UpstreamError } from '../errors.js';
import type { JobStatusHub } from '../live/job-status-hub.js';
import type { Logger } from '../logger.js';
import type { FineTuneCheckpoint } from '../model/fine-tune-checkpoint.js';
import type { FineTuneJob } from '../model/fine-tune-job.js';
import type { CheckpointList, FineTunesClient } from '../upstream/client.js';
import type { UpstreamCredential } from '../upstream/credential.js';
import type { ExportTarget } from '../upstream/job-path.js';
import {
  CIRCUIT_OPEN,
  type CallSignal,
  NOTHING_SENT_CODES,
  OVERLOADED,
  type UpstreamCallRecorder,
  abortedError,
} from '../upstream/layer.js';
import { type CreateJobInput, assertValidIdempotencyKey, toCreateBody } from './create-input.js';
import { type IdempotencyEntry, type IdempotencyStore, IdempotencyStoreFull } from './idempotency-store.js';

/**
 * The job lifecycle's actions, behind the `createFineTune`, `cancelFineTune`, `deleteFineTune` and
 * `exportFineTuneCheckpoint` mutations: each one upstream call sent at most once (the client marks them `idempotent: false`),
 * then whatever keeps the gateway's views true.
 *
 * - create: the input is checked first (no call for bad input); with an `idempotencyKey`, the key
 *   and the caller's credential name one create for 24 hours (`IdempotencyStore`): a repeat, also
 *   one arriving while the first is still running, answers the same job, read fresh, and never
 *   makes a second upstream create.
 * - cancel: the upstream's acknowledgement, then the job read fresh (the cache and shared reads
 *   already dropped what they had: `finished-job-cache.ts`, `shared-inflight.ts`), published to
 *   the job's status watchers at once.
 * - delete: the acknowledgement; the job's status watchers are polled at once (and learn that it
 *   is gone).
 * - export: the upstream's `true` (submitted), then the checkpoint read fresh from the job's
 *   checkpoint list; its `false` (not submitted, nothing changed) is an `UpstreamError`.
 *
 * An action runs on its own deadline (`timeoutMs`), not the client's connection: once sent, its
 * answer is worth waiting for (an idempotency key must record what really happened).
 */
export interface FineTuneActions {
  create(input: CreateJobInput, call: ActionCall): Promise<FineTuneJob>;
  cancel(id: string, call: ActionCall): Promise<FineTuneJob>;
  delete(id: string, call: ActionCall): Promise<{ id: string }>;
  export(input: ExportInput, call: ActionCall): Promise<FineTuneCheckpoint>;
}

/** Which checkpoint of which job to export, and the model name to give it. */
export interface ExportInput extends ExportTarget {
  jobId: string;
}

/** Who asks, and what bounds the reads around the action. */
export interface ActionCall {
  credential: UpstreamCredential;
  /** The operation's deadline, for the reads (the fresh job after the action). */
  signal: () => CallSignal;
  recorder?: UpstreamCallRecorder | undefined;
}

export interface FineTuneActionsOptions {
  client: FineTunesClient;
  jobStatus: JobStatusHub;
  idempotency: IdempotencyStore;
  /** The upstream deadline of one action (DASHSCOPE_TIMEOUT_MS). */
  timeoutMs: number;
  logger?: Logger | undefined;
}

/** Claims of one key a create makes before giving up (each is a released key, tried again). */
const MAX_CLAIMS = 5;

export function createFineTuneActions(options: FineTuneActionsOptions): FineTuneActions {
  const { client, jobStatus, idempotency, timeoutMs, logger } = options;
  const actionSignal = (): AbortSignal => AbortSignal.timeout(timeoutMs);

  /** Answers a key's outcome again: the same job, read fresh, or the same lost answer. */
  async function replay(entry: IdempotencyEntry, call: ActionCall): Promise<FineTuneJob> {
    const { outcome } = entry;
    if (outcome.kind === 'unknown') {
      const { error } = outcome;
      throw new UpstreamError(
        `An earlier createFineTune with this idempotencyKey may have reached the upstream, but its answer was lost (${error.message}). Look for the job in fineTunes before creating it with a new key.`,
        error.code,
        error.requestId,
        error.httpStatus,
      );
    }
    try {
      return (await client.getJob(outcome.jobId, call.credential, call.signal, call.recorder)).job;
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new ConflictError(
          `The job this idempotencyKey created (${outcome.jobId}) no longer exists.`,
          'IdempotencyKeyJobGone',
          error.requestId,
        );
      }
      throw error;
    }
  }

  async function createWithKey(key: string, body: ReturnType<typeof toCreateBody>, call: ActionCall): Promise<FineTuneJob> {
    const fingerprint = digest(canonicalJson(body));
    // The credential's scope is already a digest; the caller's key is kept only hashed with it.
    const storeKey = digest(`${call.credential.scope}\n${key}`);
    for (let claims = 0; claims < MAX_CLAIMS; claims++) {
      let claim: Awaited<ReturnType<IdempotencyStore['claim']>>;
      try {
        claim = await idempotency.claim(storeKey, fingerprint);
      } catch (error) {
        if (error instanceof IdempotencyStoreFull) throw new UpstreamError(error.message, OVERLOADED, null, null);
        throw error;
      }
      if (claim.state === 'done') {
        if (claim.entry.fingerprint !== fingerprint) throw reusedKey();
        return replay(claim.entry, call);
      }
      if (claim.state === 'busy') {
        if (claim.fingerprint !== fingerprint) throw reusedKey();
        const entry = await settledWithin(claim.settled, call.signal());
        if (entry === null) continue;
        if (entry.fingerprint !== fingerprint) throw reusedKey();
        return replay(entry, call);
      }
      let created: FineTuneJob;
      try {
        created = (await client.createJob(body, call.credential, actionSignal(), call.recorder)).job;
      } catch (error) {
        await record(storeKey, error, fingerprint);
        throw error;
      }
      await remember(storeKey, { fingerprint, outcome: { kind: 'job', jobId: created.id } });
      return created;
    }
    throw new UpstreamError(
      'Creates with this idempotencyKey keep failing before reaching the upstream; retry later.',
      OVERLOADED,
      null,
      null,
    );
  }

  /** After a failed create: forget the key when nothing was created, else keep the lost answer. */
  async function record(storeKey: string, error: unknown, fingerprint: string): Promise<void> {
    if (nothingCreated(error)) {
      try {
        await idempotency.release(storeKey);
      } catch (failure) {
        // The caller still gets the create's own error; a shared store must expire an unreleased claim.
        logger?.error({ err: failure }, 'could not release an idempotency key');
      }
      return;
    }
    const known = error instanceof UpstreamError ? error : null;
    await remember(storeKey, {
      fingerprint,
      outcome: {
        kind: 'unknown',
        error: {
          message: known?.message ?? 'The create failed unexpectedly.',
          code: known?.code ?? 'InternalError',
          requestId: known?.requestId ?? null,
          httpStatus: known?.httpStatus ?? null,
        },
      },
    });
  }

  async function remember(storeKey: string, entry: IdempotencyEntry): Promise<void> {
    try {
      await idempotency.complete(storeKey, entry);
    } catch (error) {
      // The action happened; the answer must still reach the caller.
      logger?.error({ err: error }, 'could not record an idempotency key');
    }
  }

  return {
    async create(input, call) {
      const body = toCreateBody(input);
      const key = input.idempotencyKey ?? null;
      if (key === null) return (await client.createJob(body, call.credential, actionSignal(), call.recorder)).job;
      assertValidIdempotencyKey(key);
      return createWithKey(key, body, call);
    },

    async cancel(id, call) {
      await client.cancelJob(id, call.credential, actionSignal(), call.recorder);
      let job: FineTuneJob;
      try {
        job = (await client.getJob(id, call.credential, call.signal, call.recorder)).job;
      } catch (error) {
        throw readBackFailed('The job was canceled', error);
      }
      jobStatus.publish(job, call.credential);
      return job;
    },

    async delete(id, call) {
      await client.deleteJob(id, call.credential, actionSignal(), call.recorder);
      jobStatus.refresh(id, call.credential);
      return { id };
    },

    async export(input, call) {
      const { jobId, checkpoint } = input;
      const receipt = await client.exportCheckpoint(jobId, input, call.credential, actionSignal(), call.recorder);
      if (!receipt.submitted) {
        throw new UpstreamError(
          `The upstream did not submit the export of ${checkpoint} (it answered false): nothing was exported. Try again later.`,
          EXPORT_NOT_SUBMITTED,
          receipt.requestId,
          null,
        );
      }
      let list: CheckpointList;
      try {
        list = await client.listCheckpoints(jobId, call.credential, call.signal, call.recorder);
      } catch (error) {
        throw readBackFailed(`The export of ${checkpoint} was submitted`, error);
      }
      const exported = list.checkpoints.find((entry) => entry.checkpoint === checkpoint || entry.id === `${jobId}:${checkpoint}`);
      if (exported === undefined) {
        throw new UpstreamError(
          `The export of ${checkpoint} was submitted, but the job's checkpoint list does not show that checkpoint.`,
          'CheckpointNotListed',
          list.requestId,
          null,
        );
      }
      return exported;
    },
  };
}

/**
 * True when the upstream certainly created nothing: it answered with a 4xx (a typed error other
 * than UpstreamError, or an UpstreamError with a 4xx status), or the call never left (refused
 * connection, open circuit, full queue). A 5xx, a timeout, a reset or a malformed reply may hide
 * a created job.
 */
function nothingCreated(error: unknown): boolean {
  if (!(error instanceof GatewayError)) return false;
  if (!(error instanceof UpstreamError)) return true;
  if (error.httpStatus !== null) return error.httpStatus >= 400 && error.httpStatus < 500;
  return NOTHING_SENT_CODES.has(error.code) || error.code === CIRCUIT_OPEN || error.code === OVERLOADED;
}

function reusedKey(): ConflictError {
  return new ConflictError(
    'This idempotencyKey was already used for a createFineTune with a different input; use a new key for a new job.',
    'IdempotencyKeyReused',
  );
}

/** The code of the `UpstreamError` an export the upstream did not submit (`output: false`) answers. */
export const EXPORT_NOT_SUBMITTED = 'ExportNotSubmitted';

/** The action happened; only reading its result back failed: say so, keeping the read's code. */
function readBackFailed(done: string, error: unknown): unknown {
  if (error instanceof UpstreamError) {
    return new UpstreamError(`${done}, but reading it back failed: ${error.message}`, error.code, error.requestId, error.httpStatus, {
      cause: error,
    });
  }
  return error;
}

/** Waits for another request's create with the same key, as long as this operation may. */
function settledWithin<T>(settled: Promise<T>, signal: CallSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    settled.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** JSON with object keys sorted at every level: the same input always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

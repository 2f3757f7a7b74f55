import type { FineTuneActions } from './actions/fine-tune-actions.js';
import type { Config } from './config.js';
import { AuthenticationError } from './errors.js';
import type { JobStatusHub } from './live/job-status-hub.js';
import type { LogTailHub } from './live/log-tail-hub.js';
import { type JobLoader, createJobLoader } from './loaders/job-loader.js';
import type { GatewayMetrics } from './telemetry/metrics.js';
import { RequestRecorder } from './telemetry/request-recorder.js';
import type { FineTunesClient } from './upstream/client.js';
import { CallController } from './upstream/call-signal.js';
import { type UpstreamCredential, createCredential } from './upstream/credential.js';
import type { CallSignal } from './upstream/layer.js';

/** What every resolver sees. Built fresh for each GraphQL request. */
export interface Context {
  config: Config;
  client: FineTunesClient;
  /** The credential presented upstream for this caller, or why there is none. */
  credential: UpstreamCredential | AuthenticationError;
  /** The operation's upstream deadline (DASHSCOPE_TIMEOUT_MS) joined with the HTTP request's abort. */
  deadline: OperationDeadline;
  /** Per-request loaders: never cached across callers. Lazily created, null without a credential. */
  loaders: Loaders | null;
  /** Shared job pollers behind the `fineTuneStatus` subscription (one per credential and job). */
  jobStatus: JobStatusHub;
  /** Shared log pollers behind the `fineTuneLogs` subscription (one per credential and job). */
  logTail: LogTailHub;
  /** The job lifecycle's actions behind the mutations (create, cancel, delete). */
  actions: FineTuneActions;
  /** Aborts when the client goes away; unlike `deadline`, no time limit (subscriptions outlive it). */
  requestSignal: () => AbortSignal;
  /** This request's accounting (upstream calls, error types): pass it to every upstream call. */
  recorder: RequestRecorder;
}

export interface Loaders {
  readonly job: JobLoader;
}

/** A request's loaders, each built on first use: requests that never load a job don't pay for one. */
class RequestLoaders implements Loaders {
  #job: JobLoader | undefined;
  constructor(private readonly createJob: () => JobLoader) {}
  get job(): JobLoader {
    this.#job ??= this.createJob();
    return this.#job;
  }
}

export interface ContextDeps {
  config: Config;
  client: FineTunesClient;
  resolveCredential: CredentialResolver;
  jobStatus: JobStatusHub;
  logTail: LogTailHub;
  actions: FineTuneActions;
  metrics?: GatewayMetrics | undefined;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export type CredentialResolver = (authorization: string | null) => UpstreamCredential | AuthenticationError;

/**
 * Resolves who the caller is upstream: the server key (its credential built once), or in
 * forwarding mode the caller's own bearer token, never falling back to the server key.
 */
export function createCredentialResolver(config: Config): CredentialResolver {
  if (config.forwardAuth) {
    const workspace = config.workspace ?? null;
    return (authorization) => {
      const token = authorization === null ? null : (BEARER.exec(authorization)?.[1] ?? null);
      if (token === null) {
        return new AuthenticationError(
          'This gateway forwards your credential: send "Authorization: Bearer <DashScope API key>".',
          'MissingCredential',
        );
      }
      return createCredential(token, workspace);
    };
  }
  const serverCredential =
    config.apiKey === undefined
      ? new AuthenticationError('The gateway has no DashScope API key configured.', 'MissingCredential')
      : createCredential(config.apiKey, config.workspace ?? null);
  return () => serverCredential;
}

export interface OperationDeadline {
  /** Aborts when the operation's upstream time is up or the caller went away. */
  signal(): CallSignal;
  /** The operation is over: stops the timer and unhooks from the request (never aborts). */
  dispose(): void;
}

/** Subscribes to the caller going away; returns the unsubscribe. */
export type OnRequestAbort = (listener: (reason: unknown) => void) => () => void;

/**
 * The deadline starts with the operation, but its signal is only built when a resolver first calls
 * the upstream: cached and rejected requests never pay for it. One AbortController and one timer,
 * released by `dispose` when the operation ends, rather than `AbortSignal.any` over
 * `AbortSignal.timeout` (whose timer lives until it fires, thousands per second under load). The
 * timeout reason is the same `TimeoutError` DOMException `AbortSignal.timeout` gives, which the
 * transport reports as `Timeout`; the client leaving passes on its own reason (`Aborted`).
 */
export function createDeadline(timeoutMs: number, onRequestAbort: OnRequestAbort): OperationDeadline {
  const endsAt = performance.now() + timeoutMs;
  let controller: CallController | undefined;
  let timer: NodeJS.Timeout | undefined;
  let unhook: (() => void) | undefined;
  return {
    signal() {
      if (controller === undefined) {
        const own = new CallController(endsAt);
        controller = own;
        timer = setTimeout(
          () => own.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
          Math.max(1, Math.ceil(endsAt - performance.now())),
        );
        timer.unref();
        unhook = onRequestAbort((reason) => own.abort(reason));
      }
      return controller.signal;
    },
    dispose() {
      clearTimeout(timer);
      unhook?.();
      timer = undefined;
      unhook = undefined;
    },
  };
}

/** What the context needs of the HTTP request. */
export interface Caller {
  authorization: string | null;
  /** Aborts when the client goes away; only called when something needs it. */
  signal(): AbortSignal;
  /** A cheaper way to hear of the client going away, when the server has one (else `signal()` is used). */
  onAbort?: OnRequestAbort;
}

/** `recorder` comes from the request telemetry; without one the request gets its own. */
export function createContext(deps: ContextDeps, caller: Caller, recorder = new RequestRecorder()): Context {
  const { config, client, jobStatus, logTail, actions, metrics } = deps;
  const credential = deps.resolveCredential(caller.authorization);
  // A derived signal rather than the request's own: the server adapter's request signal is a
  // lazy stand-in whose own listeners stop firing once any signal derives from it. Built on first
  // use only, like the deadline's, so requests that never need it don't pay for it.
  const requestSignal = memo(() => AbortSignal.any([caller.signal()]));
  const deadline = createDeadline(config.timeoutMs, caller.onAbort ?? ((listener) => onAbortOf(requestSignal(), listener)));
  const batchSize = metrics?.dataloader.batchSize;
  const loaders =
    credential instanceof AuthenticationError
      ? null
      : new RequestLoaders(() =>
          createJobLoader({
            client,
            credential,
            signal: deadline.signal,
            recorder,
            onBatch: batchSize ? (size) => batchSize.observe({ loader: 'job' }, size) : undefined,
          }),
        );
  return { config, client, credential, deadline, loaders, jobStatus, logTail, actions, requestSignal, recorder };
}

function onAbortOf(signal: AbortSignal, listener: (reason: unknown) => void): () => void {
  if (signal.aborted) {
    listener(signal.reason);
    return () => undefined;
  }
  const onAbort = (): void => listener(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

function memo<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= create());
}

/** The caller's credential, or the AuthenticationError the field should answer with. */
export function requireCredential(context: Context): UpstreamCredential {
  if (context.credential instanceof AuthenticationError) throw context.credential;
  return context.credential;
}

/** The request's loaders, or the AuthenticationError the field should answer with. */
export function requireLoaders(context: Context): Loaders {
  requireCredential(context);
  if (context.loaders === null) throw new AuthenticationError('No credential for this request.', 'MissingCredential');
  return context.loaders;
}

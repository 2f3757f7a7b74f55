import type { Config } from './config.js';
import { AuthenticationError } from './errors.js';
import { type JobLoader, createJobLoader } from './loaders/job-loader.js';
import type { GatewayMetrics } from './telemetry/metrics.js';
import { RequestRecorder } from './telemetry/request-recorder.js';
import type { FineTunesClient } from './upstream/client.js';
import type { UpstreamCredential } from './upstream/credential.js';

/** What every resolver sees. Built fresh for each GraphQL request. */
export interface Context {
  config: Config;
  client: FineTunesClient;
  /** The credential presented upstream for this caller, or why there is none. */
  credential: UpstreamCredential | AuthenticationError;
  /** The operation's upstream deadline (DASHSCOPE_TIMEOUT_MS) joined with the HTTP request's abort. */
  signal: AbortSignal;
  /** Per-request loaders: never cached across callers. Lazily created, null without a credential. */
  loaders: Loaders | null;
  /** This request's accounting (upstream calls, error types): pass it to every upstream call. */
  recorder: RequestRecorder;
}

export interface Loaders {
  job: JobLoader;
}

export interface ContextDeps {
  config: Config;
  client: FineTunesClient;
  metrics?: GatewayMetrics | undefined;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Resolves who the caller is upstream: the server key, or the caller's own in forwarding mode. */
export function resolveCredential(config: Config, authorization: string | null): UpstreamCredential | AuthenticationError {
  if (config.forwardAuth) {
    const token = authorization === null ? null : (BEARER.exec(authorization)?.[1] ?? null);
    if (token === null) {
      return new AuthenticationError(
        'This gateway forwards your credential: send "Authorization: Bearer <DashScope API key>".',
        'MissingCredential',
      );
    }
    return { apiKey: token, workspace: config.workspace ?? null };
  }
  if (config.apiKey === undefined) {
    return new AuthenticationError('The gateway has no DashScope API key configured.', 'MissingCredential');
  }
  return { apiKey: config.apiKey, workspace: config.workspace ?? null };
}

/** `recorder` comes from the request telemetry plugin; without one the request gets its own. */
export function createContext(deps: ContextDeps, request: Request, recorder = new RequestRecorder()): Context {
  const { config, client, metrics } = deps;
  const credential = resolveCredential(config, request.headers.get('authorization'));
  const signal = AbortSignal.any([request.signal, AbortSignal.timeout(config.timeoutMs)]);
  const batchSize = metrics?.dataloader.batchSize;
  const loaders =
    credential instanceof AuthenticationError
      ? null
      : {
          job: createJobLoader({
            client,
            credential,
            utcOffset: config.utcOffset,
            signal,
            recorder,
            onBatch: batchSize ? (size) => batchSize.observe({ loader: 'job' }, size) : undefined,
          }),
        };
  return { config, client, credential, signal, loaders, recorder };
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

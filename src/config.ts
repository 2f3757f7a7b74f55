/**
 * Gateway configuration, read once at the edge (`main.ts`) from the environment.
 * Nothing below `main.ts` reads `process.env`.
 */
export interface Config {
  /** @default 4000 */
  port: number;
  /** @default "127.0.0.1" */
  host: string;
  /** Upstream origin; the client appends `/api/v1/fine-tunes…`. */
  upstreamOrigin: string;
  /** The server's key. Undefined in forwarding mode or when the simulator supplies one. */
  apiKey: string | undefined;
  /** Sent as `X-DashScope-WorkSpace` when set. */
  workspace: string | undefined;
  /** Use the caller's `Authorization: Bearer …` upstream instead of the server key. @default false */
  forwardAuth: boolean;
  /** Offset in which the upstream's zone-less times are read. @default "+08:00" */
  utcOffset: string;
  /** Upstream deadline of one operation, retries included. @default 10000 */
  timeoutMs: number;
  /** Wait between two upstream polls of a job watched by `fineTuneStatus` subscribers. @default 5000 */
  pollIntervalMs: number;
  /** Trusted documents: path of the manifest (`{ "sha256:<hex>": "<document>" }`) clients may run by id. */
  persistedOperationsManifest: string | undefined;
  /** Refuse every document that is not in the manifest. @default false */
  persistedOperationsOnly: boolean;
  /** Time to open a TCP/TLS connection to the upstream. @default 5000 */
  connectTimeoutMs: number;
  /** Retries of failed idempotent GETs (see `upstream/retry.ts`). */
  retry: RetryConfig;
  /** Bounded concurrency towards the upstream origin (see `upstream/concurrency-limit.ts`). */
  upstreamConcurrency: ConcurrencyConfig;
  /** The circuit breaker in front of the upstream origin (see `upstream/circuit-breaker.ts`). */
  breaker: BreakerConfig;
  /** Limits applied to every GraphQL request before execution (see `plugins/`). */
  limits: OperationLimits;
  /** Origins allowed by CORS; `["*"]` allows any; empty: no CORS headers (same origin only). @default [] */
  corsOrigins: string[];
  /** How long a shutdown waits for in-flight requests before closing their connections. @default 10000 */
  shutdownTimeoutMs: number;
  /** True when no key and no base URL were given: `main.ts` starts the embedded simulator. */
  useSimulator: boolean;
  /** @default "production" unless NODE_ENV says otherwise */
  environment: 'development' | 'production' | 'test';
  /** pino level. @default "info" */
  logLevel: LogLevel;
  /** Serve Prometheus metrics at `/metrics`. @default true */
  metricsEnabled: boolean;
  /**
   * Answer repeated query texts on the known-operation route (see `http/known-operation-route.ts`)
   * instead of the full Yoga pipeline; off sends every request through Yoga. @default true
   */
  knownOperationRoute: boolean;
  /** OpenTelemetry tracing; null (off) unless configured. */
  tracing: TracingConfig | null;
  /** Finished-job cache (see `upstream/finished-job-cache.ts`). */
  cache: {
    /** TTL of SUCCEEDED/FAILED/CANCELED jobs; 0 disables the cache. @default 300000 */
    finishedTtlMs: number;
    /** TTL of jobs still running. @default 0 (not cached) */
    activeTtlMs: number;
    /** @default 10000 */
    maxEntries: number;
  };
  /**
   * Prepended to the names of the types this subgraph owns (errors, unions, connection types…) for
   * a supergraph where they collide with another subgraph's; see README "Supergraph". @default ""
   */
  typePrefix: string;
}

export interface RetryConfig {
  /** Retries after the first attempt; 0 disables retrying. @default 2 */
  max: number;
  /** First backoff step; doubled per retry, with jitter. @default 200 */
  baseDelayMs: number;
  /** Longest backoff step (a `Retry-After` may ask for longer, up to the deadline). @default 2000 */
  maxDelayMs: number;
}

/** The adaptive limit on upstream calls in flight (see `upstream/concurrency-limit.ts`). */
export interface ConcurrencyConfig {
  /** Ceiling of the limit (also the connection pool size). @default 128 */
  max: number;
  /** Floor of the limit. @default 4 */
  min: number;
  /** The limit at start, before the upstream has been observed (kept within floor and ceiling). @default 16 */
  initial: number;
  /** Calls waiting for a slot; beyond it a call fails at once with `Overloaded`. @default 64 */
  queue: number;
}

export interface BreakerConfig {
  /** Consecutive failed upstream attempts (5xx, timeout, refused/reset) that open the circuit. @default 5 */
  threshold: number;
  /** How long the circuit stays open before one probe call is let through. @default 5000 */
  cooldownMs: number;
}

export interface OperationLimits {
  /** Request body bytes (the JSON of query and variables). @default 1000000 */
  maxBodyBytes: number;
  /** Aliases in one operation. @default 100 */
  maxAliases: number;
  /** Field nesting depth (introspection excluded). @default 10 */
  maxDepth: number;
  /** Lexical tokens in one document. @default 5000 */
  maxTokens: number;
  /** Directives in one operation. @default 20 */
  maxDirectives: number;
  /** graphql-armor's structural cost (objects 2, scalars 1, ×1.5 per level; introspection excluded). @default 5000 */
  maxCost: number;
  /** Upstream-hitting fields (`fineTune`, `fineTunes`) in one operation. @default 50 */
  maxUpstreamFields: number;
  /** Distinct job ids in one `_entities` call (each costs one upstream GET). @default 100 */
  maxEntityIds: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface TracingConfig {
  /** OTLP/HTTP traces URL. @default "http://localhost:4318/v1/traces" */
  endpoint: string;
  /** `service.name` of the spans. @default "fine-tunes-gateway" */
  serviceName: string;
  /** Share of new traces recorded; a request with a `traceparent` follows its caller's decision. @default 1 */
  sampleRatio: number;
}

export const DEFAULT_OTLP_TRACES_ENDPOINT = 'http://localhost:4318/v1/traces';

export const DEFAULT_UPSTREAM_ORIGIN = 'https://dashscope-intl.aliyuncs.com';

/** A type prefix starts a GraphQL name and never with `_` (reserved by introspection and federation). */
export const TYPE_PREFIX_PATTERN = /^[A-Za-z][_0-9A-Za-z]*$/;

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

/** Parses the environment into a Config, reporting every problem at once. */
export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  };
  const bool = (name: string): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return false;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false, got ${JSON.stringify(env[name])}`);
    return false;
  };

  const apiKey = nonEmpty(env.DASHSCOPE_API_KEY);
  const baseUrl = nonEmpty(env.DASHSCOPE_BASE_URL);
  const forwardAuth = bool('DASHSCOPE_FORWARD_AUTH');
  const useSimulator = apiKey === undefined && baseUrl === undefined && !forwardAuth;

  let upstreamOrigin = DEFAULT_UPSTREAM_ORIGIN;
  if (baseUrl !== undefined) {
    try {
      const url = new URL(baseUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
      upstreamOrigin = url.origin;
    } catch {
      problems.push(`DASHSCOPE_BASE_URL must be an http(s) origin, got ${JSON.stringify(baseUrl)}`);
    }
  }

  const utcOffset = env.DASHSCOPE_UTC_OFFSET?.trim() || '+08:00';
  if (!/^[+-](?:[01]\d|2[0-3]):[0-5]\d$/.test(utcOffset) && utcOffset !== 'Z') {
    problems.push(`DASHSCOPE_UTC_OFFSET must look like +08:00, got ${JSON.stringify(utcOffset)}`);
  }

  const typePrefix = env.GRAPHQL_TYPE_PREFIX?.trim() ?? '';
  if (typePrefix !== '' && !TYPE_PREFIX_PATTERN.test(typePrefix)) {
    problems.push(`GRAPHQL_TYPE_PREFIX must be letters, digits or "_", starting with a letter, got ${JSON.stringify(typePrefix)}`);
  }

  const persistedOperationsManifest = nonEmpty(env.PERSISTED_OPERATIONS_MANIFEST);
  const persistedOperationsOnly = bool('PERSISTED_OPERATIONS_ONLY');
  if (persistedOperationsOnly && persistedOperationsManifest === undefined) {
    problems.push('PERSISTED_OPERATIONS_ONLY=true needs PERSISTED_OPERATIONS_MANIFEST (the path of persisted-documents.json)');
  }

  const logLevel = (env.LOG_LEVEL?.trim().toLowerCase() || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env.LOG_LEVEL)}`);
  }

  const tracing = loadTracing(env, problems, bool);

  const nodeEnv = env.NODE_ENV;
  const environment = nodeEnv === 'development' || nodeEnv === 'test' ? nodeEnv : 'production';

  const config: Config = {
    port: int('PORT', 4000, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    upstreamOrigin,
    apiKey: forwardAuth ? undefined : apiKey,
    workspace: nonEmpty(env.DASHSCOPE_WORKSPACE),
    forwardAuth,
    utcOffset,
    timeoutMs: int('DASHSCOPE_TIMEOUT_MS', 10_000, 1, 600_000),
    pollIntervalMs: int('DASHSCOPE_POLL_INTERVAL_MS', 5_000, 10, 3_600_000),
    persistedOperationsManifest,
    persistedOperationsOnly,
    connectTimeoutMs: int('DASHSCOPE_CONNECT_TIMEOUT_MS', 5_000, 1, 600_000),
    retry: {
      max: int('DASHSCOPE_RETRY_MAX', 2, 0, 10),
      baseDelayMs: int('DASHSCOPE_RETRY_BASE_DELAY_MS', 200, 0, 60_000),
      maxDelayMs: int('DASHSCOPE_RETRY_MAX_DELAY_MS', 2_000, 0, 600_000),
    },
    upstreamConcurrency: {
      max: int('DASHSCOPE_MAX_CONCURRENCY', 128, 1, 1024),
      min: int('DASHSCOPE_MIN_CONCURRENCY', 4, 1, 1024),
      initial: int('DASHSCOPE_INITIAL_CONCURRENCY', 16, 1, 1024),
      queue: int('DASHSCOPE_MAX_QUEUE', 64, 0, 100_000),
    },
    breaker: {
      threshold: int('DASHSCOPE_BREAKER_THRESHOLD', 5, 1, 1000),
      cooldownMs: int('DASHSCOPE_BREAKER_COOLDOWN_MS', 5_000, 1, 3_600_000),
    },
    limits: {
      maxBodyBytes: int('GRAPHQL_MAX_BODY_BYTES', 1_000_000, 1_000, 100_000_000),
      maxAliases: int('GRAPHQL_MAX_ALIASES', 100, 1, 10_000),
      maxDepth: int('GRAPHQL_MAX_DEPTH', 10, 2, 100),
      maxTokens: int('GRAPHQL_MAX_TOKENS', 5_000, 100, 1_000_000),
      maxDirectives: int('GRAPHQL_MAX_DIRECTIVES', 20, 0, 10_000),
      maxCost: int('GRAPHQL_MAX_COST', 5_000, 100, 100_000_000),
      maxUpstreamFields: int('GRAPHQL_MAX_UPSTREAM_FIELDS', 50, 1, 10_000),
      maxEntityIds: int('GRAPHQL_MAX_ENTITY_IDS', 100, 1, 10_000),
    },
    corsOrigins: corsOrigins(env.CORS_ORIGINS, problems),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    useSimulator,
    environment,
    logLevel: LOG_LEVELS.includes(logLevel) ? logLevel : 'info',
    metricsEnabled: env.METRICS_ENABLED === undefined || env.METRICS_ENABLED.trim() === '' ? true : bool('METRICS_ENABLED'),
    knownOperationRoute:
      env.GRAPHQL_KNOWN_OPERATION_ROUTE === undefined || env.GRAPHQL_KNOWN_OPERATION_ROUTE.trim() === ''
        ? true
        : bool('GRAPHQL_KNOWN_OPERATION_ROUTE'),
    tracing,
    cache: {
      finishedTtlMs: int('DASHSCOPE_CACHE_TTL_MS', 300_000, 0, 86_400_000),
      activeTtlMs: int('DASHSCOPE_ACTIVE_JOB_TTL_MS', 0, 0, 3_600_000),
      maxEntries: int('DASHSCOPE_CACHE_MAX_ENTRIES', 10_000, 1, 10_000_000),
    },
    typePrefix,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** `CORS_ORIGINS`: a comma-separated list of origins (`https://app.example.com`), or `*`. */
function corsOrigins(raw: string | undefined, problems: string[]): string[] {
  const origins = (raw ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  if (origins.includes('*')) return ['*'];
  for (const origin of origins) {
    let valid = false;
    try {
      valid = new URL(origin).origin === origin;
    } catch {
      valid = false;
    }
    if (!valid) problems.push(`CORS_ORIGINS must list origins like https://app.example.com (no path, no trailing slash), or be *, got ${JSON.stringify(origin)}`);
  }
  return origins;
}

/**
 * Tracing is on with `OTEL_TRACES_ENABLED=true` or when an OTLP endpoint is given, and off with
 * `OTEL_TRACES_ENABLED=false` or `OTEL_SDK_DISABLED=true`. Endpoints follow the OTLP exporter
 * spec: the signal-specific URL is used as is, the base URL gets `/v1/traces` appended.
 */
function loadTracing(env: Env, problems: string[], bool: (name: string) => boolean): TracingConfig | null {
  const tracesEndpoint = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const baseEndpoint = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const explicit = nonEmpty(env.OTEL_TRACES_ENABLED);
  const enabled = explicit !== undefined ? bool('OTEL_TRACES_ENABLED') : tracesEndpoint !== undefined || baseEndpoint !== undefined;
  if (nonEmpty(env.OTEL_SDK_DISABLED) !== undefined && bool('OTEL_SDK_DISABLED')) return null;
  if (!enabled) return null;

  const endpoint = tracesEndpoint ?? (baseEndpoint ? `${baseEndpoint.replace(/\/+$/, '')}/v1/traces` : DEFAULT_OTLP_TRACES_ENDPOINT);
  try {
    const url = new URL(endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
  } catch {
    problems.push(`OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  }
  const ratioRaw = nonEmpty(env.OTEL_TRACES_SAMPLER_ARG);
  const sampleRatio = ratioRaw === undefined ? 1 : Number(ratioRaw);
  if (!Number.isFinite(sampleRatio) || sampleRatio < 0 || sampleRatio > 1) {
    problems.push(`OTEL_TRACES_SAMPLER_ARG must be a number in 0..1, got ${JSON.stringify(ratioRaw)}`);
  }
  return {
    endpoint,
    serviceName: nonEmpty(env.OTEL_SERVICE_NAME) ?? 'fine-tunes-gateway',
    sampleRatio: Number.isFinite(sampleRatio) ? Math.min(1, Math.max(0, sampleRatio)) : 1,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

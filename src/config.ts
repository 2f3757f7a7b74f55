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
  /** True when no key and no base URL were given: `main.ts` starts the embedded simulator. */
  useSimulator: boolean;
  /** @default "production" unless NODE_ENV says otherwise */
  environment: 'development' | 'production' | 'test';
  /** pino level. @default "info" */
  logLevel: LogLevel;
  /** Serve Prometheus metrics at `/metrics`. @default true */
  metricsEnabled: boolean;
  /** OpenTelemetry tracing; null (off) unless configured. */
  tracing: TracingConfig | null;
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
    useSimulator,
    environment,
    logLevel: LOG_LEVELS.includes(logLevel) ? logLevel : 'info',
    metricsEnabled: env.METRICS_ENABLED === undefined || env.METRICS_ENABLED.trim() === '' ? true : bool('METRICS_ENABLED'),
    tracing,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
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

/**
 * Gateway configuration, read once at the edge (`main.ts`) from the environment through the
 * declarations in `VARIABLES` below, which hold each variable's default and meaning (and so
 * docs/configuration.md). Nothing below `main.ts` reads `process.env`. Each field names its variable.
 */
import { defaultCacheRoot } from './graphiql-assets.js';

export interface Config {
  /** PORT */
  port: number;
  /** HOST */
  host: string;
  /** The origin of DASHSCOPE_BASE_URL (else the international endpoint); the client appends `/api/v1/fine-tunes…`. */
  upstreamOrigin: string;
  /** DASHSCOPE_API_KEY. Undefined in forwarding mode, or until `main.ts` hands in the simulator's. */
  apiKey: string | undefined;
  /** DASHSCOPE_WORKSPACE */
  workspace: string | undefined;
  /** DASHSCOPE_FORWARD_AUTH */
  forwardAuth: boolean;
  /** DASHSCOPE_REJECTED_KEY_TTL_MS (see `upstream/credential-standing.ts`). */
  rejectedKeyTtlMs: number;
  /** DASHSCOPE_UTC_OFFSET */
  utcOffset: string;
  /** DASHSCOPE_TIMEOUT_MS */
  timeoutMs: number;
  /** DASHSCOPE_POLL_INTERVAL_MS */
  pollIntervalMs: number;
  /** PERSISTED_OPERATIONS_MANIFEST: path of `{ "sha256:<hex>": "<document>" }`. */
  persistedOperationsManifest: string | undefined;
  /** PERSISTED_OPERATIONS_ONLY */
  persistedOperationsOnly: boolean;
  /** GRAPHIQL_ENABLED (always off with PERSISTED_OPERATIONS_ONLY). */
  graphiqlEnabled: boolean;
  /** GRAPHIQL_CACHE_DIR: where GraphiQL's compressed files are built (see `graphiql-assets.ts`). */
  graphiqlCacheDir: string;
  /** GRAPHQL_SSE_RESERVATION_TIMEOUT_MS */
  sseReservationTimeoutMs: number;
  /** Automatic persisted queries (Apollo's APQ): the bounded store of texts registered by hash. */
  apq: ApqConfig;
  /** DASHSCOPE_CONNECT_TIMEOUT_MS */
  connectTimeoutMs: number;
  /** Retries of failed idempotent GETs (see `upstream/retry.ts`). */
  retry: RetryConfig;
  /** Bounded concurrency towards the upstream origin (see `upstream/concurrency-limit.ts`). */
  upstreamConcurrency: ConcurrencyConfig;
  /** The circuit breaker in front of the upstream origin (see `upstream/circuit-breaker.ts`). */
  breaker: BreakerConfig;
  /** Limits applied to every GraphQL request before execution (see `plugins/`). */
  limits: OperationLimits;
  /** CORS_ORIGINS: `["*"]` allows any; empty: no CORS headers (same origin only). */
  corsOrigins: string[];
  /** What one client's connections may cost (see `http/connection-guard.ts`). */
  connections: {
    /** HTTP_MAX_CONNECTIONS */
    max: number;
    /** HTTP_WRITE_TIMEOUT_MS */
    writeTimeoutMs: number;
  };
  /** SHUTDOWN_TIMEOUT_MS */
  shutdownTimeoutMs: number;
  /** SHUTDOWN_DRAIN_MS */
  shutdownDrainMs: number;
  /** True when no key, no base URL and no forwarding were given: `main.ts` starts the embedded simulator. */
  useSimulator: boolean;
  /** SIMULATOR_LATENCY_MS */
  simulatorLatencyMs: number;
  /** NODE_ENV: `development` and `test` as given, anything else `production`. */
  environment: 'development' | 'production' | 'test';
  /** LOG_LEVEL */
  logLevel: LogLevel;
  /** METRICS_ENABLED */
  metricsEnabled: boolean;
  /** GRAPHQL_NODE_FRONT (see `http/node-front.ts`). */
  nodeFront: boolean;
  /** OpenTelemetry tracing; null (off) unless configured (see `loadTracing`). */
  tracing: TracingConfig | null;
  /** Finished-job cache (see `upstream/finished-job-cache.ts`). */
  cache: {
    /** DASHSCOPE_CACHE_TTL_MS */
    finishedTtlMs: number;
    /** DASHSCOPE_ACTIVE_JOB_TTL_MS */
    activeTtlMs: number;
    /** DASHSCOPE_CACHE_MAX_ENTRIES */
    maxEntries: number;
  };
  /** IDEMPOTENCY_MAX_KEYS: `createFineTune` idempotency keys kept (see `actions/idempotency-store.ts`). */
  idempotencyMaxKeys: number;
  /** GRAPHQL_TYPE_PREFIX (see `schema/type-prefix.ts`). */
  typePrefix: string;
  /** DASHSCOPE_MAX_RPS: upstream calls per second per credential over every replica; 0: no budget (see `upstream/rate-budget.ts`). */
  maxRps: number;
  /** DASHSCOPE_POLL_LEASE_MS: how long a replica's hold on a shared poller lasts unless renewed (see `live/shared-poll.ts`). */
  pollLeaseMs: number;
  /** Sharing across replicas through Redis; null without REDIS_URL (see `redis/connection.ts`). */
  redis: RedisConfig | null;
}

export interface RedisConfig {
  /** REDIS_URL */
  url: string;
  /** REDIS_KEY_PREFIX */
  keyPrefix: string;
  /** REDIS_COMMAND_TIMEOUT_MS */
  commandTimeoutMs: number;
}

export interface RetryConfig {
  /** DASHSCOPE_RETRY_MAX */
  max: number;
  /** DASHSCOPE_RETRY_BASE_DELAY_MS */
  baseDelayMs: number;
  /** DASHSCOPE_RETRY_MAX_DELAY_MS */
  maxDelayMs: number;
}

/** The adaptive limit on upstream calls in flight (see `upstream/concurrency-limit.ts`). */
export interface ConcurrencyConfig {
  /** DASHSCOPE_MAX_CONCURRENCY */
  max: number;
  /** DASHSCOPE_MIN_CONCURRENCY */
  min: number;
  /** DASHSCOPE_INITIAL_CONCURRENCY */
  initial: number;
  /** DASHSCOPE_MAX_QUEUE */
  queue: number;
}

export interface BreakerConfig {
  /** DASHSCOPE_BREAKER_THRESHOLD */
  threshold: number;
  /** DASHSCOPE_BREAKER_COOLDOWN_MS */
  cooldownMs: number;
}

/** GRAPHQL_APQ_*: each field is the variable of the same name. */
export interface ApqConfig {
  /** Registered texts kept, least recently used dropped; 0 turns APQ off. */
  maxEntries: number;
  /** Bytes of registered texts kept (UTF-8), least recently used dropped. */
  maxBytes: number;
}

/** GRAPHQL_MAX_*: each field is the variable of the same name. */
export interface OperationLimits {
  maxBodyBytes: number;
  maxAliases: number;
  maxDepth: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
  maxUpstreamFields: number;
  maxEntityIds: number;
  /** GRAPHQL_MAX_SUBSCRIPTIONS */
  maxSubscriptions: number;
  /** GRAPHQL_MAX_SUBSCRIPTIONS_PER_CLIENT */
  maxSubscriptionsPerClient: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface TracingConfig {
  /** OTLP/HTTP traces URL: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`. */
  endpoint: string;
  /** OTEL_SERVICE_NAME */
  serviceName: string;
  /** OTEL_TRACES_SAMPLER_ARG */
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

// ---------------------------------------------------------------------------------------------
// The environment variables, each declared once. `loadConfig` reads them only through `read()`,
// and `npm run docs:config` prints docs/configuration.md from them (test/configuration-doc.test.ts
// fails when that file drifts). To add a variable: declare it here, read it in `loadConfig`.
// ---------------------------------------------------------------------------------------------

/** A parser's answer for a value it cannot use: what is wrong, phrased to follow the variable's name. */
export class Rejected {
  readonly problems: string[];
  constructor(...problems: string[]) {
    this.problems = problems;
  }
}

/** Parses a set, non-blank value (untrimmed, as the environment holds it). */
export type Parse<T> = (raw: string) => T | Rejected;

export interface Variable<T> {
  readonly group: Group;
  /** One sentence for docs/configuration.md. */
  readonly meaning: string;
  /** The value when the variable is unset or blank (also when it is invalid: the start then fails anyway). */
  readonly default: T;
  /** How the docs show the default when `default` alone would not say it (e.g. what "unset" means). */
  readonly shownDefault?: string;
  readonly parse: Parse<T>;
}

/** The sections of docs/configuration.md, in order, with the line that introduces each. */
export const GROUPS = {
  Server: 'The HTTP server and how it starts and stops.',
  Upstream:
    'The DashScope account and the protections in front of it. With no `DASHSCOPE_API_KEY`, no `DASHSCOPE_BASE_URL` and no forwarding, `npm start` serves demo data from the embedded simulator.',
  Caching: 'The finished-job cache in front of the upstream; lists are never cached.',
  Limits: 'Checked before execution; a request beyond a limit is refused with no upstream call.',
  GraphQL: 'Schema naming, trusted documents, live subscriptions and the fast path for repeated queries.',
  'Scale-out': 'Replicas of the gateway sharing one Redis (see [scaling.md](scaling.md)).',
  Telemetry:
    'Logs, metrics and OpenTelemetry traces. The OTLP exporter also reads its own standard variables, e.g. `OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer …` for a hosted collector.',
  Simulator: 'Only used when the gateway runs on the embedded simulator.',
} as const;
export type Group = keyof typeof GROUPS;

const int =
  (min: number, max: number): Parse<number> =>
  (raw) => {
    const value = Number(raw);
    return Number.isInteger(value) && value >= min && value <= max
      ? value
      : new Rejected(`must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  };

const bool: Parse<boolean> = (raw) => {
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  return new Rejected(`must be true or false, got ${JSON.stringify(raw)}`);
};

const text: Parse<string> = (raw) => raw.trim();

const httpOrigin: Parse<string> = (raw) => {
  const value = raw.trim();
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  } catch {
    // rejected below
  }
  return new Rejected(`must be an http(s) origin, got ${JSON.stringify(value)}`);
};

const utcOffset: Parse<string> = (raw) => {
  const value = raw.trim();
  return /^[+-](?:[01]\d|2[0-3]):[0-5]\d$/.test(value) || value === 'Z'
    ? value
    : new Rejected(`must look like +08:00, got ${JSON.stringify(value)}`);
};

const typePrefix: Parse<string> = (raw) => {
  const value = raw.trim();
  return TYPE_PREFIX_PATTERN.test(value)
    ? value
    : new Rejected(`must be letters, digits or "_", starting with a letter, got ${JSON.stringify(value)}`);
};

const logLevel: Parse<LogLevel> = (raw) => {
  const value = raw.trim().toLowerCase();
  return LOG_LEVELS.find((level) => level === value) ?? new Rejected(`must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`);
};

/** Anything but `development` or `test` is production (no validation: NODE_ENV is shared with every tool). */
const nodeEnv: Parse<Config['environment']> = (raw) => (raw === 'development' || raw === 'test' ? raw : 'production');

/** A comma-separated list of origins (`https://app.example.com`), or `*`. */
const originList: Parse<string[]> = (raw) => {
  const origins = raw
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  if (origins.includes('*')) return ['*'];
  const invalid = origins.filter((origin) => {
    try {
      return new URL(origin).origin !== origin;
    } catch {
      return true;
    }
  });
  return invalid.length === 0
    ? origins
    : new Rejected(
        ...invalid.map(
          (origin) => `must list origins like https://app.example.com (no path, no trailing slash), or be *, got ${JSON.stringify(origin)}`,
        ),
      );
};

const redisUrl: Parse<string> = (raw) => {
  const value = raw.trim();
  try {
    const url = new URL(value);
    if (url.protocol === 'redis:' || url.protocol === 'rediss:') return value;
  } catch {
    // rejected below
  }
  // Never echo the value: a Redis URL may carry a password.
  return new Rejected('must be a redis:// or rediss:// URL');
};

const ratio: Parse<number> = (raw) => {
  const value = Number(raw.trim());
  return Number.isFinite(value) && value >= 0 && value <= 1
    ? value
    : new Rejected(`must be a number in 0..1, got ${JSON.stringify(raw.trim())}`);
};

/** Declares one variable; `T` is inferred from its parser and default. */
const variable = <T>(declaration: Variable<T>): Variable<T> => declaration;
const optional = <T>(declaration: Omit<Variable<T | undefined>, 'default'>): Variable<T | undefined> => ({
  ...declaration,
  default: undefined,
});

export const VARIABLES = {
  // Server
  PORT: variable({ group: 'Server', default: 4000, parse: int(0, 65535), meaning: 'HTTP port (`0`: any free port).' }),
  HOST: variable({ group: 'Server', default: '127.0.0.1', parse: text, meaning: 'Listen address (`0.0.0.0` to expose it).' }),
  NODE_ENV: variable<Config['environment']>({
    group: 'Server',
    default: 'production',
    parse: nodeEnv,
    meaning: '`development` shows error details to clients instead of masking them and pretty-prints logs; anything else is production.',
  }),
  CORS_ORIGINS: variable({
    group: 'Server',
    default: [],
    shownDefault: '— (CORS off)',
    parse: originList,
    meaning:
      'Comma-separated origins allowed to call from a browser, with credentials (`https://app.example.com,http://localhost:5173`); `*` allows any origin, without credentials.',
  }),
  HTTP_MAX_CONNECTIONS: variable({
    group: 'Server',
    default: 10_000,
    parse: int(1, 1_000_000),
    meaning:
      'Open client connections served at once; one more gets HTTP 503 with code `CONNECTION_LIMIT` (and `Connection: close`) and is closed.',
  }),
  HTTP_WRITE_TIMEOUT_MS: variable({
    group: 'Server',
    default: 30_000,
    parse: int(100, 3_600_000),
    meaning:
      'A connection whose answer (or SSE stream) waits to be written and makes no progress for this long (a client that stopped reading) is destroyed.',
  }),
  SHUTDOWN_TIMEOUT_MS: variable({
    group: 'Server',
    default: 10_000,
    parse: int(0, 600_000),
    meaning: 'On SIGTERM/SIGINT, how long requests in flight may take, once the listener is closed, before their connections are cut.',
  }),
  SHUTDOWN_DRAIN_MS: variable({
    group: 'Server',
    default: 5_000,
    parse: int(0, 600_000),
    meaning:
      'On SIGTERM, how long the gateway keeps serving with `/ready` answering 503 (and `Connection: close` on every answer) before it closes the listener, so a load balancer stops sending it traffic first; SIGINT skips it.',
  }),

  // Upstream
  DASHSCOPE_API_KEY: optional({
    group: 'Upstream',
    parse: text,
    meaning: "The server's DashScope key, sent upstream as `Authorization: Bearer …`.",
  }),
  DASHSCOPE_BASE_URL: optional({
    group: 'Upstream',
    shownDefault: `\`${DEFAULT_UPSTREAM_ORIGIN}\``,
    parse: httpOrigin,
    meaning:
      'Upstream origin (only the origin is used; the gateway appends `/api/v1/fine-tunes…`); Beijing: `https://dashscope.aliyuncs.com`.',
  }),
  DASHSCOPE_WORKSPACE: optional({
    group: 'Upstream',
    parse: text,
    meaning: 'Sent as `X-DashScope-WorkSpace` to select a non-default workspace.',
  }),
  DASHSCOPE_FORWARD_AUTH: variable({
    group: 'Upstream',
    default: false,
    parse: bool,
    meaning: "`true`: use each caller's `Authorization: Bearer …` upstream instead of the server key (never falls back to it).",
  }),
  DASHSCOPE_REJECTED_KEY_TTL_MS: variable({
    group: 'Upstream',
    default: 30_000,
    parse: int(0, 3_600_000),
    meaning:
      "Forwarding mode: how long an upstream 401 for a caller's key is answered from memory (keys kept as digests, 10,000 at most) with no upstream call; an unknown key is tried one call at a time (`0`: 401s not remembered).",
  }),
  DASHSCOPE_UTC_OFFSET: variable({
    group: 'Upstream',
    default: '+08:00',
    parse: utcOffset,
    meaning: "Offset in which the upstream's zone-less times are read.",
  }),
  DASHSCOPE_TIMEOUT_MS: variable({
    group: 'Upstream',
    default: 10_000,
    parse: int(1, 600_000),
    meaning: 'Upstream deadline of one GraphQL operation, retries and waits included.',
  }),
  DASHSCOPE_CONNECT_TIMEOUT_MS: variable({
    group: 'Upstream',
    default: 5_000,
    parse: int(1, 600_000),
    meaning: 'Time to open a connection to the upstream (capped by `DASHSCOPE_TIMEOUT_MS`).',
  }),
  DASHSCOPE_RETRY_MAX: variable({
    group: 'Upstream',
    default: 2,
    parse: int(0, 10),
    meaning: 'Retries of a failed GET after the first attempt (`0`: no retries).',
  }),
  DASHSCOPE_RETRY_BASE_DELAY_MS: variable({
    group: 'Upstream',
    default: 200,
    parse: int(0, 60_000),
    meaning: 'First backoff step, doubled per retry, with jitter.',
  }),
  DASHSCOPE_RETRY_MAX_DELAY_MS: variable({
    group: 'Upstream',
    default: 2_000,
    parse: int(0, 600_000),
    meaning: 'Longest backoff step (a `Retry-After` may ask for more, up to the deadline).',
  }),
  DASHSCOPE_MAX_CONCURRENCY: variable({
    group: 'Upstream',
    default: 128,
    parse: int(1, 1024),
    meaning:
      'Ceiling of the adaptive limit on upstream calls in flight (also the connection pool size). The limit grows while the upstream answers well and halves on 429, 5xx or timeouts.',
  }),
  DASHSCOPE_MIN_CONCURRENCY: variable({
    group: 'Upstream',
    default: 4,
    parse: int(1, 1024),
    meaning: 'Floor of the adaptive limit: however badly the upstream answers, this many calls may be in flight.',
  }),
  DASHSCOPE_INITIAL_CONCURRENCY: variable({
    group: 'Upstream',
    default: 16,
    parse: int(1, 1024),
    meaning: 'The adaptive limit at start, before the upstream has been observed (kept within the floor and the ceiling).',
  }),
  DASHSCOPE_MAX_QUEUE: variable({
    group: 'Upstream',
    default: 64,
    parse: int(0, 100_000),
    meaning: 'Upstream calls allowed to wait for a slot; more fail at once with `UpstreamError { code: "Overloaded" }`.',
  }),
  DASHSCOPE_BREAKER_THRESHOLD: variable({
    group: 'Upstream',
    default: 5,
    parse: int(1, 1000),
    meaning: 'Consecutive failed upstream attempts (5xx, timeouts, refused or reset connections) that open the circuit.',
  }),
  DASHSCOPE_MAX_RPS: variable({
    group: 'Upstream',
    default: 0,
    shownDefault: '`0` (no budget)',
    parse: int(0, 100_000),
    meaning:
      'Upstream calls per second per credential, summed over every replica sharing `REDIS_URL` (per process without it): calls over the budget wait their turn within the deadline, else get `ThrottlingError` with `retryAfter`; an upstream 429 with `Retry-After` holds every call of that credential for that long.',
  }),
  DASHSCOPE_BREAKER_COOLDOWN_MS: variable({
    group: 'Upstream',
    default: 5_000,
    parse: int(1, 3_600_000),
    meaning: 'How long the circuit stays open before one probe call is let through.',
  }),

  // Caching
  DASHSCOPE_CACHE_TTL_MS: variable({
    group: 'Caching',
    default: 300_000,
    parse: int(0, 86_400_000),
    meaning: 'How long a finished job (SUCCEEDED, FAILED, CANCELED) is served from memory; `0` turns the cache off.',
  }),
  DASHSCOPE_ACTIVE_JOB_TTL_MS: variable({
    group: 'Caching',
    default: 0,
    parse: int(0, 3_600_000),
    meaning: 'How long a job that is still running may be served from memory (`0`: never cached).',
  }),
  DASHSCOPE_CACHE_MAX_ENTRIES: variable({
    group: 'Caching',
    default: 10_000,
    parse: int(1, 10_000_000),
    meaning: 'Most jobs kept in the cache, over all credentials (least recently used go first).',
  }),
  IDEMPOTENCY_MAX_KEYS: variable({
    group: 'Caching',
    default: 100_000,
    parse: int(1, 10_000_000),
    meaning:
      '`createFineTune` idempotency keys remembered (each for 24 h), over all credentials; beyond it the least recently used is forgotten. Also the most creates with a key in progress at once.',
  }),

  // Limits
  GRAPHQL_MAX_BODY_BYTES: variable({
    group: 'Limits',
    default: 1_000_000,
    parse: int(1_000, 100_000_000),
    meaning: 'Request body bytes (HTTP 413 beyond).',
  }),
  GRAPHQL_MAX_ALIASES: variable({
    group: 'Limits',
    default: 100,
    parse: int(1, 10_000),
    meaning: 'Aliases per operation (`__typename` aliases are free).',
  }),
  GRAPHQL_MAX_DEPTH: variable({ group: 'Limits', default: 10, parse: int(2, 100), meaning: 'Field nesting depth (introspection exempt).' }),
  GRAPHQL_MAX_TOKENS: variable({ group: 'Limits', default: 5_000, parse: int(100, 1_000_000), meaning: 'Lexical tokens per document.' }),
  GRAPHQL_MAX_DIRECTIVES: variable({ group: 'Limits', default: 20, parse: int(0, 10_000), meaning: 'Directives per operation.' }),
  GRAPHQL_MAX_COST: variable({
    group: 'Limits',
    default: 5_000,
    parse: int(100, 100_000_000),
    meaning: "graphql-armor's structural cost: objects 2, scalars 1, ×1.5 per level (introspection exempt).",
  }),
  GRAPHQL_MAX_UPSTREAM_FIELDS: variable({
    group: 'Limits',
    default: 50,
    parse: int(1, 10_000),
    meaning:
      "Upstream calls one operation may cost: `fineTune`, `fineTunes`, `fineTuneJobs`, `node`, the mutations (`createFineTune`, `cancelFineTune`, `deleteFineTune`, `exportFineTuneCheckpoint`), and a job's `logs` and `checkpoints` once per job asked of (HTTP 400 `UPSTREAM_FIELD_LIMIT` beyond).",
  }),
  GRAPHQL_MAX_ENTITY_IDS: variable({
    group: 'Limits',
    default: 100,
    parse: int(1, 10_000),
    meaning: 'Distinct job ids in one federation `_entities` call, each costing a GET (HTTP 400 `ENTITIES_LIMIT` beyond).',
  }),

  GRAPHQL_MAX_SUBSCRIPTIONS: variable({
    group: 'Limits',
    default: 10_000,
    parse: int(0, 10_000_000),
    meaning: 'Live `fineTuneStatus` subscriptions on the whole gateway (beyond: an error result with code `SUBSCRIPTION_LIMIT`).',
  }),
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_CLIENT: variable({
    group: 'Limits',
    default: 100,
    parse: int(0, 10_000_000),
    meaning:
      'Live subscriptions of one client: per credential digest in forwarding mode, else per remote address (beyond: an error result with code `SUBSCRIPTION_LIMIT`).',
  }),

  // GraphQL
  GRAPHQL_TYPE_PREFIX: variable({
    group: 'GraphQL',
    default: '',
    shownDefault: '—',
    parse: typePrefix,
    meaning: 'Prefix for the type names this subgraph owns, for a supergraph where they collide (see [supergraph.md](supergraph.md)).',
  }),
  PERSISTED_OPERATIONS_MANIFEST: optional({
    group: 'GraphQL',
    parse: text,
    meaning:
      'Path of the trusted-documents manifest (`persisted-documents.json` from `npm run codegen`), checked at start-up; clients may then send `documentId`.',
  }),
  PERSISTED_OPERATIONS_ONLY: variable({
    group: 'GraphQL',
    default: false,
    parse: bool,
    meaning:
      '`true`: refuse every document sent as text (HTTP 400 `PERSISTED_QUERY_ONLY`), and GraphiQL; needs `PERSISTED_OPERATIONS_MANIFEST`.',
  }),
  GRAPHIQL_ENABLED: variable({
    group: 'GraphQL',
    default: true,
    parse: bool,
    meaning:
      "`false`: no GraphiQL page at `/graphql` (a browser's GET gets `406 Not Acceptable`, as a GraphQL endpoint answers a client that accepts only HTML), and nothing built for it at start-up. Always off with `PERSISTED_OPERATIONS_ONLY=true`.",
  }),
  GRAPHIQL_CACHE_DIR: variable({
    group: 'GraphQL',
    default: defaultCacheRoot(),
    shownDefault: '`node_modules/.cache/fine-tunes-gateway/graphiql`',
    parse: text,
    meaning:
      "Where GraphiQL's script, styles and workers are compressed (Brotli, gzip) once per installation, by a child process at start-up; a read-only one falls back to a private temporary directory.",
  }),
  GRAPHQL_APQ_MAX_ENTRIES: variable({
    group: 'GraphQL',
    default: 1_000,
    parse: int(0, 1_000_000),
    meaning:
      "Automatic persisted queries (what Apollo Client's `PersistedQueryLink` sends): how many query texts registered by hash are kept, least recently used dropped; `0` turns APQ off. Off with `PERSISTED_OPERATIONS_ONLY=true`.",
  }),
  GRAPHQL_APQ_MAX_BYTES: variable({
    group: 'GraphQL',
    default: 8_000_000,
    parse: int(1_000, 1_000_000_000),
    meaning: 'How many bytes of registered APQ query texts are kept at most (least recently used dropped).',
  }),
  GRAPHQL_SSE_RESERVATION_TIMEOUT_MS: variable({
    group: 'GraphQL',
    default: 30_000,
    parse: int(100, 3_600_000),
    meaning:
      'graphql-sse single-connection mode (`/graphql/stream`): how long a reserved stream (PUT) waits for its event stream (GET) before it is dropped.',
  }),
  DASHSCOPE_POLL_INTERVAL_MS: variable({
    group: 'GraphQL',
    default: 5_000,
    parse: int(10, 3_600_000),
    meaning:
      'How often the `fineTuneStatus` subscription polls a watched job (one poller per credential and job; backs off on throttling).',
  }),
  DASHSCOPE_POLL_LEASE_MS: variable({
    group: 'GraphQL',
    default: 3_000,
    parse: int(300, 600_000),
    meaning:
      'With `REDIS_URL`: how long one replica holds the poller of a watched job unless it renews it (every third of it); another replica takes over within about this long when the holder dies.',
  }),
  GRAPHQL_NODE_FRONT: variable({
    group: 'GraphQL',
    default: true,
    parse: bool,
    meaning:
      "`false`: hand every request to whatwg-node's Node adapter instead of the gateway's [Node front](architecture.md#request-path); both run the same pipeline.",
  }),

  // Scale-out
  REDIS_URL: optional({
    group: 'Scale-out',
    parse: redisUrl,
    meaning:
      'Redis shared by the replicas (`redis://127.0.0.1:6379/0`): the finished-job cache, the job-status pollers, the upstream rate budget, the automatic-persisted-query texts and the `createFineTune` idempotency keys are shared through it (see [scaling.md](scaling.md)). Unset: each process works alone. Redis down: each replica falls back to per-process behaviour and `/ready` and `/metrics` say so.',
  }),
  REDIS_KEY_PREFIX: variable({
    group: 'Scale-out',
    default: 'ftgw:',
    parse: text,
    meaning: 'Prefix of every Redis key and channel the gateway uses, so several deployments can share one Redis.',
  }),
  REDIS_COMMAND_TIMEOUT_MS: variable({
    group: 'Scale-out',
    default: 200,
    parse: int(10, 60_000),
    meaning:
      'Longest wait for one Redis command; past it (or with Redis unreachable) the gateway answers on per-process behaviour and skips Redis for a second.',
  }),

  // Telemetry
  LOG_LEVEL: variable<LogLevel>({
    group: 'Telemetry',
    default: 'info',
    parse: logLevel,
    meaning: `pino level: ${LOG_LEVELS.map((level) => `\`${level}\``).join(', ')}.`,
  }),
  METRICS_ENABLED: variable({
    group: 'Telemetry',
    default: true,
    parse: bool,
    meaning: '`false`: stop serving Prometheus metrics at `/metrics` (counting continues).',
  }),
  OTEL_TRACES_ENABLED: optional({
    group: 'Telemetry',
    parse: bool,
    meaning: '`true`: tracing on (to `http://localhost:4318/v1/traces` unless an endpoint is set); `false`: off even with an endpoint.',
  }),
  OTEL_SDK_DISABLED: variable({ group: 'Telemetry', default: false, parse: bool, meaning: '`true`: tracing off, whatever else is set.' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: optional({
    group: 'Telemetry',
    parse: text,
    meaning: 'Collector base URL (OTLP/HTTP, JSON); spans go to `<url>/v1/traces`; setting it turns tracing on.',
  }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional({
    group: 'Telemetry',
    parse: text,
    meaning: 'The full traces URL instead (used as is); setting it turns tracing on.',
  }),
  OTEL_SERVICE_NAME: variable({ group: 'Telemetry', default: 'fine-tunes-gateway', parse: text, meaning: '`service.name` of the spans.' }),
  OTEL_TRACES_SAMPLER_ARG: variable({
    group: 'Telemetry',
    default: 1,
    parse: ratio,
    meaning: "Share of new traces sampled (0..1); a request with a `traceparent` follows its caller's decision.",
  }),

  // Simulator
  SIMULATOR_LATENCY_MS: variable({
    group: 'Simulator',
    default: 0,
    parse: int(0, 600_000),
    meaning: 'Latency added to each simulated upstream reply.',
  }),
} as const;

export type VariableName = keyof typeof VARIABLES;
type ValueOf<N extends VariableName> = (typeof VARIABLES)[N] extends Variable<infer T> ? T : never;
/** The same table, typed so that looking a name up gives that variable's own value type. */
const DECLARATIONS: { readonly [N in VariableName]: Variable<ValueOf<N>> } = VARIABLES;

type Env = Record<string, string | undefined>;

/** Parses the environment into a Config, reporting every problem at once. */
export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  /** The variable's value: its default when unset, blank or invalid (an invalid one is reported). */
  const read = <N extends VariableName>(name: N): ValueOf<N> => {
    const declaration = DECLARATIONS[name];
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return declaration.default;
    const value = declaration.parse(raw);
    if (!(value instanceof Rejected)) return value;
    problems.push(...value.problems.map((problem) => `${name} ${problem}`));
    return declaration.default;
  };

  const apiKey = read('DASHSCOPE_API_KEY');
  const baseUrl = read('DASHSCOPE_BASE_URL');
  const forwardAuth = read('DASHSCOPE_FORWARD_AUTH');
  const persistedOperationsManifest = read('PERSISTED_OPERATIONS_MANIFEST');
  const persistedOperationsOnly = read('PERSISTED_OPERATIONS_ONLY');
  if (persistedOperationsOnly && persistedOperationsManifest === undefined) {
    problems.push('PERSISTED_OPERATIONS_ONLY=true needs PERSISTED_OPERATIONS_MANIFEST (the path of persisted-documents.json)');
  }

  const config: Config = {
    port: read('PORT'),
    host: read('HOST'),
    upstreamOrigin: baseUrl ?? DEFAULT_UPSTREAM_ORIGIN,
    apiKey: forwardAuth ? undefined : apiKey,
    workspace: read('DASHSCOPE_WORKSPACE'),
    forwardAuth,
    rejectedKeyTtlMs: read('DASHSCOPE_REJECTED_KEY_TTL_MS'),
    utcOffset: read('DASHSCOPE_UTC_OFFSET'),
    timeoutMs: read('DASHSCOPE_TIMEOUT_MS'),
    pollIntervalMs: read('DASHSCOPE_POLL_INTERVAL_MS'),
    persistedOperationsManifest,
    persistedOperationsOnly,
    graphiqlEnabled: read('GRAPHIQL_ENABLED'),
    graphiqlCacheDir: read('GRAPHIQL_CACHE_DIR'),
    sseReservationTimeoutMs: read('GRAPHQL_SSE_RESERVATION_TIMEOUT_MS'),
    apq: { maxEntries: read('GRAPHQL_APQ_MAX_ENTRIES'), maxBytes: read('GRAPHQL_APQ_MAX_BYTES') },
    connectTimeoutMs: read('DASHSCOPE_CONNECT_TIMEOUT_MS'),
    retry: {
      max: read('DASHSCOPE_RETRY_MAX'),
      baseDelayMs: read('DASHSCOPE_RETRY_BASE_DELAY_MS'),
      maxDelayMs: read('DASHSCOPE_RETRY_MAX_DELAY_MS'),
    },
    upstreamConcurrency: {
      max: read('DASHSCOPE_MAX_CONCURRENCY'),
      min: read('DASHSCOPE_MIN_CONCURRENCY'),
      initial: read('DASHSCOPE_INITIAL_CONCURRENCY'),
      queue: read('DASHSCOPE_MAX_QUEUE'),
    },
    breaker: {
      threshold: read('DASHSCOPE_BREAKER_THRESHOLD'),
      cooldownMs: read('DASHSCOPE_BREAKER_COOLDOWN_MS'),
    },
    limits: {
      maxBodyBytes: read('GRAPHQL_MAX_BODY_BYTES'),
      maxAliases: read('GRAPHQL_MAX_ALIASES'),
      maxDepth: read('GRAPHQL_MAX_DEPTH'),
      maxTokens: read('GRAPHQL_MAX_TOKENS'),
      maxDirectives: read('GRAPHQL_MAX_DIRECTIVES'),
      maxCost: read('GRAPHQL_MAX_COST'),
      maxUpstreamFields: read('GRAPHQL_MAX_UPSTREAM_FIELDS'),
      maxEntityIds: read('GRAPHQL_MAX_ENTITY_IDS'),
      maxSubscriptions: read('GRAPHQL_MAX_SUBSCRIPTIONS'),
      maxSubscriptionsPerClient: read('GRAPHQL_MAX_SUBSCRIPTIONS_PER_CLIENT'),
    },
    corsOrigins: read('CORS_ORIGINS'),
    connections: { max: read('HTTP_MAX_CONNECTIONS'), writeTimeoutMs: read('HTTP_WRITE_TIMEOUT_MS') },
    shutdownTimeoutMs: read('SHUTDOWN_TIMEOUT_MS'),
    shutdownDrainMs: read('SHUTDOWN_DRAIN_MS'),
    useSimulator: apiKey === undefined && baseUrl === undefined && !forwardAuth,
    simulatorLatencyMs: read('SIMULATOR_LATENCY_MS'),
    environment: read('NODE_ENV'),
    logLevel: read('LOG_LEVEL'),
    metricsEnabled: read('METRICS_ENABLED'),
    nodeFront: read('GRAPHQL_NODE_FRONT'),
    tracing: loadTracing(read, problems),
    cache: {
      finishedTtlMs: read('DASHSCOPE_CACHE_TTL_MS'),
      activeTtlMs: read('DASHSCOPE_ACTIVE_JOB_TTL_MS'),
      maxEntries: read('DASHSCOPE_CACHE_MAX_ENTRIES'),
    },
    idempotencyMaxKeys: read('IDEMPOTENCY_MAX_KEYS'),
    typePrefix: read('GRAPHQL_TYPE_PREFIX'),
    maxRps: read('DASHSCOPE_MAX_RPS'),
    pollLeaseMs: read('DASHSCOPE_POLL_LEASE_MS'),
    redis: loadRedis(read),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function loadRedis(read: <N extends VariableName>(name: N) => ValueOf<N>): RedisConfig | null {
  // All read (and checked) even without a URL, like every other variable.
  const url = read('REDIS_URL');
  const keyPrefix = read('REDIS_KEY_PREFIX');
  const commandTimeoutMs = read('REDIS_COMMAND_TIMEOUT_MS');
  return url === undefined ? null : { url, keyPrefix, commandTimeoutMs };
}

/**
 * Tracing is on with `OTEL_TRACES_ENABLED=true` or when an OTLP endpoint is given, and off with
 * `OTEL_TRACES_ENABLED=false` or `OTEL_SDK_DISABLED=true`. Endpoints follow the OTLP exporter
 * spec: the signal-specific URL is used as is, the base URL gets `/v1/traces` appended. The other
 * tracing variables are only read (and checked) when tracing is on.
 */
function loadTracing(read: <N extends VariableName>(name: N) => ValueOf<N>, problems: string[]): TracingConfig | null {
  const tracesEndpoint = read('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = read('OTEL_EXPORTER_OTLP_ENDPOINT');
  const enabled = read('OTEL_TRACES_ENABLED') ?? (tracesEndpoint !== undefined || baseEndpoint !== undefined);
  if (read('OTEL_SDK_DISABLED') || !enabled) return null;

  const endpoint = tracesEndpoint ?? (baseEndpoint ? `${baseEndpoint.replace(/\/+$/, '')}/v1/traces` : DEFAULT_OTLP_TRACES_ENDPOINT);
  try {
    const url = new URL(endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
  } catch {
    problems.push(`OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  }
  return { endpoint, serviceName: read('OTEL_SERVICE_NAME'), sampleRatio: read('OTEL_TRACES_SAMPLER_ARG') };
}

import type { Registry } from 'prom-client';
import type { Plugin } from 'graphql-yoga';
import type { RequestRecorder } from './request-recorder.js';
import { type CounterSeries, type HistogramSeries, SeriesCounter, SeriesHistogram } from './series.js';

/**
 * GraphQL operation metrics under the names of The Guild's Prometheus plugin
 * (`graphql_envelop_*`, `graphql_yoga_http_duration`), so dashboards built for it work, but
 * recorded from the request's own recorder once per request. The plugin, measured on a cached
 * `fineTune` query, cost 18% of the gateway's throughput (object spreads and label filtering on
 * every observation of every phase); this costs one Map lookup, one counter and three histogram
 * observations (see `series.ts`).
 */
export interface OperationMetrics {
  record(recorder: RequestRecorder, method: string, status: number): void;
}

/** Seconds; most operations take a few milliseconds, the upstream deadline is 10 s. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Distinct operation names kept per metric; more are counted as operationName="other". */
const MAX_SERIES = 1000;
/**
 * Longer operation names are counted as "other": the series cap bounds how many names, this bounds
 * their size (every histogram bucket line repeats the name at each scrape). Requests with longer
 * `operationName`s are refused (`use-request-params-limits.ts`); a document's own operation name
 * is only bounded by the body and token limits, so it is capped here too.
 */
const MAX_LABEL_LENGTH = 256;

/** Resolved on first use: a request that never executed must not create execution series. */
interface RequestSeries {
  labels: [string, string];
  requests?: CounterSeries;
  duration?: HistogramSeries;
  execute?: HistogramSeries;
  http: HistogramSeries;
}

export function createOperationMetrics(registry: Registry): OperationMetrics {
  const operation = ['operationName', 'operationType'] as const;
  const common = { registry, maxSeries: MAX_SERIES };
  const requests = new SeriesCounter({
    ...common,
    name: 'graphql_envelop_request',
    help: 'GraphQL operations executed.',
    labelNames: operation,
  });
  const duration = new SeriesHistogram({
    ...common,
    name: 'graphql_envelop_request_duration',
    help: 'Time from the request to the end of execution, in seconds.',
    labelNames: operation,
    buckets: DURATION_BUCKETS,
  });
  const execute = new SeriesHistogram({
    ...common,
    name: 'graphql_envelop_phase_execute',
    help: 'Time spent executing the operation, in seconds.',
    labelNames: operation,
    buckets: DURATION_BUCKETS,
  });
  const errors = new SeriesCounter({
    ...common,
    name: 'graphql_envelop_error_result',
    help: 'Entries of errors[] in responses, by the phase that produced them.',
    labelNames: [...operation, 'phase'],
  });
  const http = new SeriesHistogram({
    ...common,
    name: 'graphql_yoga_http_duration',
    help: 'Time to serve the whole GraphQL HTTP request, in seconds.',
    labelNames: [...operation, 'method', 'statusCode'],
    buckets: DURATION_BUCKETS,
  });

  // The series of one operation, method and status, resolved once.
  const bundles = new Map<string, RequestSeries>();
  const bundleFor = (name: string, type: string, method: string, status: number): RequestSeries => {
    const key = `${name}\u0000${type}\u0000${method}\u0000${status}`;
    let bundle = bundles.get(key);
    if (bundle === undefined) {
      if (bundles.size >= MAX_SERIES * 4) bundles.clear();
      bundle = { labels: [name, type], http: http.series([name, type, method, String(status)]) };
      bundles.set(key, bundle);
    }
    return bundle;
  };

  return {
    record(recorder, method, status) {
      const operationName = recorder.operationName ?? 'Anonymous';
      const name = operationName.length > MAX_LABEL_LENGTH ? 'other' : operationName;
      const type = recorder.operationType ?? 'unknown';
      const bundle = bundleFor(name, type, method, status);
      const { executeStartedAt, executeEndedAt } = recorder;
      if (executeStartedAt !== null && executeEndedAt !== null) {
        (bundle.requests ??= requests.series(bundle.labels)).value++;
        (bundle.duration ??= duration.series(bundle.labels)).observe((executeEndedAt - recorder.startedAt) / 1000);
        (bundle.execute ??= execute.series(bundle.labels)).observe((executeEndedAt - executeStartedAt) / 1000);
      }
      for (const code of recorder.graphqlErrors) errors.series([name, type, phaseOf(code)]).value++;
      bundle.http.observe(recorder.elapsedMs() / 1000);
    },
  };
}

function phaseOf(code: string): string {
  if (code === 'GRAPHQL_PARSE_FAILED') return 'parse';
  if (code === 'GRAPHQL_VALIDATION_FAILED') return 'validate';
  if (code === 'BAD_REQUEST' || code === 'BAD_USER_INPUT') return 'request';
  return 'execute';
}

/** Serves the registry at `endpoint` in the Prometheus text format. */
export function useMetricsEndpoint(registry: Registry, endpoint: string): Plugin {
  return {
    async onRequest({ url, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint) return;
      endResponse(new fetchAPI.Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } }));
    },
  };
}

import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesCounter, SeriesHistogram } from '../src/telemetry/series.js';

/** The series metrics must render exactly as prom-client's own metrics given the same observations. */
describe('series metrics', () => {
  const buckets = [0.001, 0.01, 0.1, 1];
  const observations: [Record<'endpoint' | 'status', string>, number][] = [
    [{ endpoint: 'getJob', status: '200' }, 0.0004],
    [{ endpoint: 'getJob', status: '200' }, 0.004],
    [{ endpoint: 'getJob', status: '404' }, 0.05],
    [{ endpoint: 'listJobs', status: '200' }, 2],
    [{ endpoint: 'getJob', status: '200' }, 0.01],
  ];

  it('a histogram renders like prom-client Histogram', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const options = { name: 'upstream_seconds', help: 'Upstream time.', labelNames: ['endpoint', 'status'] as const, buckets };
    const reference = new Histogram({ ...options, labelNames: [...options.labelNames], registers: [theirs] });
    const series = new SeriesHistogram({ ...options, registry: ours });
    for (const [labels, value] of observations) {
      reference.observe(labels, value);
      series.observe(labels, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // The same values and labels as JSON too (prom-client adds an empty `exemplar` to each value).
    const withoutExemplars = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
      metrics.map((metric) => ({
        ...metric,
        values: metric.values.map((value) => {
          const { exemplar: _exemplar, ...rest } = value as typeof value & { exemplar?: unknown };
          return rest;
        }),
      }));
    expect(withoutExemplars(await ours.getMetricsAsJSON())).toEqual(withoutExemplars(await theirs.getMetricsAsJSON()));
  });

  it('a counter renders like prom-client Counter', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const options = { name: 'upstream_total', help: 'Upstream calls.', labelNames: ['endpoint', 'status'] as const };
    const reference = new Counter({ ...options, labelNames: [...options.labelNames], registers: [theirs] });
    const series = new SeriesCounter({ ...options, registry: ours });
    for (const [labels] of observations) {
      reference.inc(labels);
      series.inc(labels);
    }
    series.inc({ endpoint: 'getJob', status: '200' }, 2);
    reference.inc({ endpoint: 'getJob', status: '200' }, 2);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('keeps at most maxSeries label sets; later first-label values count as "other"', async () => {
    const registry = new Registry();
    const counter = new SeriesCounter({
      name: 'ops_total',
      help: 'Operations.',
      labelNames: ['operationName', 'operationType'],
      registry,
      maxSeries: 2,
    });
    for (const name of ['A', 'B', 'C', 'D', 'A']) counter.inc({ operationName: name, operationType: 'query' });
    const text = await registry.metrics();
    expect(text).toContain('ops_total{operationName="A",operationType="query"} 2');
    expect(text).toContain('ops_total{operationName="B",operationType="query"} 1');
    expect(text).toContain('ops_total{operationName="other",operationType="query"} 2');
    expect(text).not.toContain('operationName="C"');
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('ops_total{');
  });
});

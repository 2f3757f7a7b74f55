import type { Registry } from 'prom-client';

/**
 * Counters and histograms for the per-request hot path, exported through a prom-client registry
 * (prom-client's own still serve the rest: gauges, process metrics).
 *
 * prom-client validates and hashes the label object on every `inc`/`observe` (about 10 µs per
 * request for the four operation metrics, measured with `bench/cpu-per-request.sh`). Here a caller
 * resolves a label set to its series once (`series(values)`, a Map lookup) and then only adds
 * numbers. At scrape time these render exactly like prom-client's own metrics, since the registry
 * formats what `get()` returns.
 *
 * Label values come from clients (operation names), so each metric keeps at most `maxSeries` label
 * sets; later ones are counted under `overflowValue` in the first label, so a client inventing
 * operation names cannot grow memory or a Prometheus server's cardinality without bound.
 */
interface SeriesMetricOptions<L extends string = string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registry: Registry;
  /** @default 1000 */
  maxSeries?: number;
  /** @default "other" */
  overflowValue?: string;
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

abstract class SeriesMetric<S, L extends string = string> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';
  readonly #labelNames: readonly L[];
  readonly #series = new Map<string, { labels: Record<string, string>; series: S }>();
  readonly #maxSeries: number;
  readonly #overflowValue: string;

  constructor(options: SeriesMetricOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = options.labelNames;
    this.#maxSeries = options.maxSeries ?? 1000;
    this.#overflowValue = options.overflowValue ?? 'other';
    // The registry only reads `name`, `type`, `help`, `aggregator`, `get()` and `reset()`.
    options.registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series of these label values, in `labelNames` order. */
  series(values: readonly string[]): S {
    const key = values.join('\u0000');
    let entry = this.#series.get(key);
    if (entry === undefined) {
      if (this.#series.size >= this.#maxSeries && values[0] !== this.#overflowValue) {
        return this.series([this.#overflowValue, ...values.slice(1)]);
      }
      const labels: Record<string, string> = {};
      this.#labelNames.forEach((name, index) => {
        labels[name] = values[index] ?? '';
      });
      entry = { labels, series: this.create() };
      this.#series.set(key, entry);
    }
    return entry.series;
  }

  /** The series of a prom-client style label object. */
  seriesOf(labels: Readonly<Record<L, string>>): S {
    return this.series(this.#labelNames.map((name) => labels[name]));
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const values: MetricValue[] = [];
    for (const { labels, series } of this.#series.values()) this.export(labels, series, values);
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#series.clear();
  }

  protected abstract create(): S;
  protected abstract export(labels: Record<string, string>, series: S, into: MetricValue[]): void;
}

export interface CounterSeries {
  value: number;
}

export class SeriesCounter<L extends string = string> extends SeriesMetric<CounterSeries, L> {
  readonly type = 'counter';

  /** prom-client's `Counter.inc(labels, value)`. */
  inc(labels: Readonly<Record<L, string>>, value = 1): void {
    this.seriesOf(labels).value += value;
  }

  protected create(): CounterSeries {
    return { value: 0 };
  }

  protected export(labels: Record<string, string>, series: CounterSeries, into: MetricValue[]): void {
    into.push({ labels, value: series.value });
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const { bounds } = this;
    let index = 0;
    while (index < bounds.length && value > bounds[index]!) index++;
    this.counts[index]!++;
    this.sum += value;
    this.count++;
  }
}

export class SeriesHistogram<L extends string = string> extends SeriesMetric<HistogramSeries, L> {
  readonly type = 'histogram';
  readonly #bounds: readonly number[];

  constructor(options: SeriesMetricOptions<L> & { buckets: readonly number[] }) {
    super(options);
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
  }

  /** prom-client's `Histogram.observe(labels, value)`. */
  observe(labels: Readonly<Record<L, string>>, value: number): void {
    this.seriesOf(labels).observe(value);
  }

  protected create(): HistogramSeries {
    return new HistogramSeries(this.#bounds);
  }

  protected export(labels: Record<string, string>, series: HistogramSeries, into: MetricValue[]): void {
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    this.#bounds.forEach((bound, index) => {
      cumulative += series.counts[index]!;
      into.push({ labels: { le: bound, ...labels }, value: cumulative, metricName: bucket });
    });
    into.push({ labels: { le: '+Inf', ...labels }, value: series.count, metricName: bucket });
    into.push({ labels, value: series.sum, metricName: `${this.name}_sum` });
    into.push({ labels, value: series.count, metricName: `${this.name}_count` });
  }
}

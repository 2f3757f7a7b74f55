import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from '../config.js';

/** The instrumentation scope of every span the gateway makes. */
export const TRACER_NAME = 'fine-tunes-gateway';

/**
 * The production tracer provider: spans batched to an OTLP/HTTP collector. Not registered as the
 * global provider: the gateway gets it through `deps.tracerProvider` and passes parent contexts
 * explicitly, so no context manager or global state is involved (tests run several gateways, each
 * with its own in-memory exporter). `shutdown()` flushes what is still queued.
 */
export function createTracerProvider(config: TracingConfig): BasicTracerProvider {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.endpoint }))],
  });
}

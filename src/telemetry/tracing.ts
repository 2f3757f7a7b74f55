import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config.js';

/** The instrumentation scope of every span the gateway makes. */
export const TRACER_NAME = 'fine-tunes-gateway';

/**
 * The production tracer provider: spans batched to an OTLP/HTTP collector. Not registered as the
 * global provider: the gateway gets it through `deps.tracerProvider` and passes parent contexts
 * explicitly, so no context manager or global state is involved (tests run several gateways, each
 * with its own in-memory exporter). `shutdown()` flushes what is still queued.
 */
export async function createTracerProvider(config: TracingConfig): Promise<BasicTracerProvider> {
  // Loaded only when tracing is configured: the SDK and exporter are ~15 MB of a process's memory.
  const [{ OTLPTraceExporter }, { resourceFromAttributes }, sdk, { ATTR_SERVICE_NAME }] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  const { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } = sdk;
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.endpoint }))],
  });
}

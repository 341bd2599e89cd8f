// OpenTelemetry tracing of the API and the workers, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set: one trace
// from `POST /campaigns/:id/launch` through the campaign workflow, its call workflows and their activities.
// - The process registers a NodeTracerProvider (AsyncLocalStorage context, W3C trace-context propagation) that
//   batches spans to an OTLP/HTTP exporter (protobuf or JSON, OTEL_EXPORTER_OTLP_PROTOCOL).
// - Temporal carries the context in headers: @temporalio/interceptors-opentelemetry's client interceptor (every
//   client, services/temporal.ts), its workflow interceptors module (bundled, workers/workers.ts) with the
//   `exporter` sink that hands the sandbox's spans to this processor, and its activity interceptors.
// Everything is imported here, on first use: without the variable no OpenTelemetry module is loaded
// (test/unit/tracing-off.test.ts) and nothing is exported.
import { createRequire } from 'node:module';
import type { Tracer } from '@opentelemetry/api';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { Config } from './config';

export interface Tracing {
  serviceName: string;
  /** The OpenTelemetry API module (loaded with the rest, only when tracing is on). */
  otel: typeof import('@opentelemetry/api');
  tracer: Tracer;
  /** Client interceptors of every Temporal client of the process (start/signal/query spans, context in headers). */
  clientInterceptors: WorkflowClientInterceptor[];
  /** Workflow interceptor modules to bundle with the workflows. */
  workflowInterceptorModules: string[];
  /** Activity interceptors of every worker. */
  activityInterceptors: ActivityInterceptorsFactory[];
  /** The sinks the workflow interceptors export their spans through. */
  sinks: InjectedSinks<Record<string, never>>;
  /** Exports the spans still buffered and stops (process shutdown). */
  shutdown(): Promise<void>;
}

let active: Tracing | null = null;
let starting: Promise<Tracing | null> | null = null;

/** The process's tracing once startTracing() ran with an endpoint; null otherwise (no tracing). */
export function tracing(): Tracing | null {
  return active;
}

/**
 * Starts tracing for this process (component: the service.name suffix). Call before creating Temporal clients
 * and workers, which pick it up. Returns null, and loads nothing, when OTEL_EXPORTER_OTLP_ENDPOINT is unset.
 */
type TracingConfig = Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_PROTOCOL' | 'OTEL_EXPORTER_OTLP_TIMEOUT' | 'OTEL_SERVICE_NAME'>;

export function startTracing(cfg: TracingConfig, component: 'api' | 'worker' | 'cli'): Promise<Tracing | null> {
  if (!cfg.OTEL_EXPORTER_OTLP_ENDPOINT) return Promise.resolve(null);
  starting ??= load(cfg, `${cfg.OTEL_SERVICE_NAME}-${component}`).then((t) => (active = t));
  return starting;
}

type WorkflowExporterSink = ReturnType<typeof import('@temporalio/interceptors-opentelemetry').makeWorkflowExporter>;

/**
 * The workflow span sink, given only the workflow's identity: the SDK's sink copies every field of the workflow's
 * info (memo, search attributes, last result…) into each span's attributes; this keeps the ids, type and queue,
 * named as on the activity spans (temporalWorkflowId), and nothing a workflow might carry about a callee.
 */
function workflowSpanSink(inner: WorkflowExporterSink): WorkflowExporterSink {
  return {
    export: {
      ...inner.export,
      fn: (info, spans) => {
        const identity = { temporalWorkflowId: info.workflowId, run_id: info.runId, workflowType: info.workflowType, taskQueue: info.taskQueue, namespace: info.namespace };
        inner.export.fn(identity as unknown as typeof info, spans);
      },
    },
  };
}

async function load(cfg: TracingConfig, serviceName: string): Promise<Tracing> {
  const [api, { NodeTracerProvider }, { BatchSpanProcessor }, { Resource }, otel, exporterModule] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@temporalio/interceptors-opentelemetry'),
    cfg.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json' ? import('@opentelemetry/exporter-trace-otlp-http') : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  // The signal's path per the OTLP/HTTP spec when only the base endpoint is given.
  const url = `${cfg.OTEL_EXPORTER_OTLP_ENDPOINT!.replace(/\/+$/, '')}/v1/traces`;
  const exporter = new exporterModule.OTLPTraceExporter({ url, timeoutMillis: cfg.OTEL_EXPORTER_OTLP_TIMEOUT });
  const processor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 });
  const resource = new Resource({ 'service.name': serviceName });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  const tracer = api.trace.getTracer('minibot');
  const require = createRequire(import.meta.url);
  return {
    serviceName,
    otel: api,
    tracer,
    clientInterceptors: [new otel.OpenTelemetryWorkflowClientInterceptor({ tracer })],
    workflowInterceptorModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
    activityInterceptors: [
      (ctx) => ({
        inbound: new otel.OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
        outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    sinks: { exporter: workflowSpanSink(otel.makeWorkflowExporter(processor, resource)) } as unknown as InjectedSinks<Record<string, never>>,
    shutdown: () => provider.shutdown(),
  };
}

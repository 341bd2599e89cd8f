// Tracing costs nothing when it is off: without OTEL_EXPORTER_OTLP_ENDPOINT, the API entry point and the worker
// modules load no OpenTelemetry SDK, exporter or interceptor (runtime/tracing.ts imports them on start only); with it, the API loads
// the SDK, the OTLP exporter of the configured protocol and Temporal's interceptors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modulesLoadedBy } from '../helpers/modules-loaded';

// @opentelemetry/api is left out: the Prisma client loads that no-op facade whenever it is installed (it checks
// for a registered tracer; none is without the variable). The SDK, exporters and interceptors are what cost.
const otel = (mods: string[]) => mods.filter((m) => /node_modules\/(@opentelemetry\/(?!api\/)|@temporalio\/interceptors-opentelemetry\/)/.test(m));
const ENTRIES = ['./api/server.ts', './workers/media-worker.ts', './workers/workers.ts', './services/temporal.ts'];

test('without OTEL_EXPORTER_OTLP_ENDPOINT no OpenTelemetry SDK, exporter or interceptor is loaded', () => {
  const mods = modulesLoadedBy(ENTRIES);
  assert.ok(mods.some((m) => m.endsWith('/runtime/tracing.ts')), 'the tracing module itself is loaded');
  assert.deepEqual(otel(mods), []);
});

test('with it, the API loads the SDK, the exporter of the protocol and the Temporal interceptors', () => {
  const json = otel(modulesLoadedBy(['./api/server.ts'], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }));
  for (const p of ['@opentelemetry/sdk-trace-node/', '@opentelemetry/exporter-trace-otlp-http/', '@temporalio/interceptors-opentelemetry/']) {
    assert.ok(json.some((m) => m.includes(p)), `${p} loaded`);
  }
  assert.ok(!json.some((m) => m.includes('@opentelemetry/exporter-trace-otlp-proto/')), 'not the protobuf exporter');
  const proto = otel(modulesLoadedBy(['./api/server.ts'], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }));
  assert.ok(proto.some((m) => m.includes('@opentelemetry/exporter-trace-otlp-proto/')), 'http/protobuf by default');
});

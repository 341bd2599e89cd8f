// Installs the Temporal SDK runtime once per process, with its logs going to our structured logger.
// The SDK's own INFO chatter (worker state changes) is kept out unless LOG_LEVEL is debug or trace.
// Workflow and activity lines of a call carry its call id (the call workflow's id, as everywhere else).
// With TEMPORAL_METRICS_PORT, the SDK's metrics are served for Prometheus by this process.
import { Runtime, type LogLevel, type LogMetadata, type Logger } from '@temporalio/worker';
import { config } from '../runtime/config';
import { logger } from '../runtime/logger';

let installed = false;

/** The call workflow's type (workflows/call.ts), whose id is the call id. */
const CALL_WORKFLOW_TYPE = 'callWorkflow';

export function installRuntime(): void {
  if (installed) return;
  installed = true;
  const log = logger('temporal-sdk');
  const verbose = ['debug', 'trace'].includes(config().LOG_LEVEL);
  const emit = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const m = meta?.workflowType === CALL_WORKFLOW_TYPE && typeof meta.workflowId === 'string' ? { callId: meta.workflowId, ...meta } : meta ?? {};
    switch (level) {
      case 'TRACE':
        if (verbose) log.trace(m, message);
        break;
      case 'DEBUG':
        if (verbose) log.debug(m, message);
        break;
      case 'INFO':
        if (verbose) log.info(m, message);
        break;
      case 'WARN':
        // Expected for our activity-only telephony workers.
        if (message.startsWith('No workflows registered')) break;
        // Expected at the end of most calls: the call's media watch (watchCall) ends just after its workflow.
        if (message.startsWith('Activity not found on completion')) {
          if (verbose) log.debug(m, message);
          break;
        }
        log.warn(m, message);
        break;
      case 'ERROR':
        log.error(m, message);
        break;
    }
  };
  const sdkLogger: Logger = {
    log: emit,
    trace: (m, meta) => emit('TRACE', m, meta),
    debug: (m, meta) => emit('DEBUG', m, meta),
    info: (m, meta) => emit('INFO', m, meta),
    warn: (m, meta) => emit('WARN', m, meta),
    error: (m, meta) => emit('ERROR', m, meta),
  };
  // Core's own logs are forwarded here too (instead of core printing them to the console), so they are
  // structured like ours and filtered above.
  const cfg = config();
  Runtime.install({
    logger: sdkLogger,
    telemetryOptions: {
      logging: { forward: {} },
      // Prometheus conventions: counters end in _total, durations in seconds (temporal_*_latency_seconds_bucket…).
      ...(cfg.TEMPORAL_METRICS_PORT
        ? { metrics: { prometheus: { bindAddress: `${cfg.TEMPORAL_METRICS_HOST}:${cfg.TEMPORAL_METRICS_PORT}`, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } } }
        : {}),
    },
  });
  if (cfg.TEMPORAL_METRICS_PORT) log.info({ url: `http://${cfg.TEMPORAL_METRICS_HOST}:${cfg.TEMPORAL_METRICS_PORT}/metrics` }, 'Temporal SDK metrics served');
}

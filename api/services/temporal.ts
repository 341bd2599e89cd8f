// Connections to Temporal for the processes that are clients (API, CLI, demo) or workers.
import { Client, Connection, ServiceError, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Config } from '../../lib/config';
import { DependencyDownError, unreachableDependency } from './dependencies';

export interface TemporalClientOptions {
  /**
   * Interactive clients (API, CLI) fail fast: 3 attempts (about 0.5 s) instead of the SDK's 10 (about 20 s)
   * for an UNAVAILABLE server, so that an outage is reported while the operator waits, not after.
   */
  failFast?: boolean;
  /** Connect on first use (the API starts, and answers 503, while Temporal is down). */
  lazy?: boolean;
  connectTimeoutMs?: number;
}

/** A Temporal client; a server that cannot be reached raises DependencyDownError('temporal'). */
export async function temporalClient(cfg: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>, o: TemporalClientOptions = {}): Promise<Client> {
  const options = {
    address: cfg.TEMPORAL_ADDRESS,
    ...(o.connectTimeoutMs ? { connectTimeout: o.connectTimeoutMs } : {}),
    ...(o.failFast ? { interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 }))] } : {}),
  };
  if (o.lazy) return new Client({ connection: Connection.lazy(options), namespace: cfg.TEMPORAL_NAMESPACE });
  let connection: Connection;
  try {
    connection = await Connection.connect(options);
  } catch (err) {
    // connect() waits for the channel to be ready (a plain Error when it is not by the deadline), then calls
    // getSystemInfo (a ServiceError carrying the gRPC status). Other gRPC statuses (auth, …) are not outages.
    if (err instanceof ServiceError && unreachableDependency(err) !== 'temporal') throw err;
    throw new DependencyDownError('temporal', cfg.TEMPORAL_ADDRESS, err);
  }
  return new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE });
}

/**
 * The workers' connection. The worker SDK (native core) is loaded here, on first use, so that the client
 * processes (API, CLI), which import this module, never load it (test/unit/layers.test.ts).
 */
export async function workerConnection(cfg: Pick<Config, 'TEMPORAL_ADDRESS'>): Promise<NativeConnection> {
  const [{ NativeConnection }, { installRuntime }] = await Promise.all([import('@temporalio/worker'), import('../../workers/runtime')]);
  installRuntime();
  return NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
}

/** The Web UI link of a workflow (empty when no UI is known). */
export function webUiLink(uiUrl: string | undefined, namespace: string, workflowId: string): string {
  return uiUrl ? `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}` : '';
}

// Connections to Temporal for the processes that are clients (API, CLI, demo) or workers.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../../lib/config';
import { installRuntime } from '../../workers/runtime';

export async function temporalClient(cfg: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>): Promise<Client> {
  const connection = await Connection.connect({ address: cfg.TEMPORAL_ADDRESS });
  return new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE });
}

export async function workerConnection(cfg: Pick<Config, 'TEMPORAL_ADDRESS'>): Promise<NativeConnection> {
  installRuntime();
  return NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
}

/** The Web UI link of a workflow (empty when no UI is known). */
export function webUiLink(uiUrl: string | undefined, namespace: string, workflowId: string): string {
  return uiUrl ? `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}` : '';
}

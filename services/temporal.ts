// Connections to Temporal for the processes that are clients (API, CLI, demo) or workers.
import { Client, Connection, ServiceError, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type TLSConfig } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { ConfigError, type Config } from '../runtime/config';
import { parseCodecKeys } from '../lib/codec-keys';
import { EncryptionCodec } from '../lib/payload-codec';
import { DependencyDownError, unreachableDependency } from './dependencies';
import { tracing } from '../runtime/tracing';

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

type SecurityConfig = Pick<Config, 'TEMPORAL_TLS' | 'TEMPORAL_TLS_CLIENT_CERT_PATH' | 'TEMPORAL_TLS_CLIENT_KEY_PATH' | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH' | 'TEMPORAL_TLS_SERVER_NAME' | 'TEMPORAL_API_KEY'>;
type TemporalConfig = Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_CODEC_KEYS'> & Partial<SecurityConfig>;

/**
 * TLS / mTLS and API key of every connection (clients and workers alike), from the config; the PEM files are
 * read here, once, so an unreadable file stops the process at start-up with the variable's name.
 */
export function connectionSecurity(cfg: Partial<SecurityConfig>, read: (path: string) => Buffer = readFileSync): { tls?: TLSConfig; apiKey?: string } {
  const file = (variable: keyof SecurityConfig, path: string | undefined): Buffer | undefined => {
    if (!path) return undefined;
    try {
      const b = read(path);
      if (!b.length) throw new Error('the file is empty');
      return b;
    } catch (err) {
      throw new ConfigError([{ variable, reason: `cannot read ${path}: ${(err as Error).message}` }]);
    }
  };
  const crt = file('TEMPORAL_TLS_CLIENT_CERT_PATH', cfg.TEMPORAL_TLS_CLIENT_CERT_PATH);
  const key = file('TEMPORAL_TLS_CLIENT_KEY_PATH', cfg.TEMPORAL_TLS_CLIENT_KEY_PATH);
  const ca = file('TEMPORAL_TLS_SERVER_CA_CERT_PATH', cfg.TEMPORAL_TLS_SERVER_CA_CERT_PATH);
  const wantsTls = cfg.TEMPORAL_TLS === true || !!(crt || ca || cfg.TEMPORAL_TLS_SERVER_NAME || cfg.TEMPORAL_API_KEY);
  const out: { tls?: TLSConfig; apiKey?: string } = {};
  if (wantsTls) {
    out.tls = {
      ...(cfg.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: cfg.TEMPORAL_TLS_SERVER_NAME } : {}),
      ...(ca ? { serverRootCACertificate: ca } : {}),
      ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    };
  }
  if (cfg.TEMPORAL_API_KEY) out.apiKey = cfg.TEMPORAL_API_KEY;
  return out;
}

/**
 * The one data converter of every client and worker: payloads encrypted by the codec when TEMPORAL_CODEC_KEYS is
 * set (workers take it from their client: see workers/workers.ts), the SDK's default JSON converter otherwise.
 */
export function dataConverter(cfg: Pick<Config, 'TEMPORAL_CODEC_KEYS'>): DataConverter {
  return cfg.TEMPORAL_CODEC_KEYS ? { payloadCodecs: [new EncryptionCodec(parseCodecKeys(cfg.TEMPORAL_CODEC_KEYS))] } : {};
}

/** A Temporal client; a server that cannot be reached raises DependencyDownError('temporal'). */
export async function temporalClient(cfg: TemporalConfig, o: TemporalClientOptions = {}): Promise<Client> {
  const options = {
    address: cfg.TEMPORAL_ADDRESS,
    ...connectionSecurity(cfg),
    ...(o.connectTimeoutMs ? { connectTimeout: o.connectTimeoutMs } : {}),
    ...(o.failFast ? { interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 }))] } : {}),
  };
  const converter = dataConverter(cfg);
  // Tracing (runtime/tracing.ts, when started): the trace context travels in the workflows' headers.
  const t = tracing();
  const interceptors = t ? { workflow: t.clientInterceptors } : undefined;
  if (o.lazy) return new Client({ connection: Connection.lazy(options), namespace: cfg.TEMPORAL_NAMESPACE, dataConverter: converter, interceptors });
  let connection: Connection;
  try {
    connection = await Connection.connect(options);
  } catch (err) {
    // connect() waits for the channel to be ready (a plain Error when it is not by the deadline), then calls
    // getSystemInfo (a ServiceError carrying the gRPC status). Other gRPC statuses (auth, …) are not outages.
    if (err instanceof ServiceError && unreachableDependency(err) !== 'temporal') throw err;
    throw new DependencyDownError('temporal', cfg.TEMPORAL_ADDRESS, err);
  }
  return new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE, dataConverter: converter, interceptors });
}

/**
 * The workers' connection. The worker SDK (native core) is loaded here, on first use, so that the client
 * processes (API, CLI), which import this module, never load it (test/unit/layers.test.ts).
 */
export async function workerConnection(cfg: Pick<Config, 'TEMPORAL_ADDRESS'> & Partial<SecurityConfig>): Promise<NativeConnection> {
  const [{ NativeConnection }, { installRuntime }] = await Promise.all([import('@temporalio/worker'), import('../workers/runtime')]);
  installRuntime();
  return NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS, ...connectionSecurity(cfg) });
}

/** The Web UI link of a workflow (empty when no UI is known). */
export function webUiLink(uiUrl: string | undefined, namespace: string, workflowId: string): string {
  return uiUrl ? `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}` : '';
}

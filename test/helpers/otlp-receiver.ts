// A local OTLP/HTTP trace receiver for the tests: accepts POST /v1/traces in OTLP/JSON (the exporter with
// OTEL_EXPORTER_OTLP_PROTOCOL=http/json) or protobuf (http/protobuf, decoded with the exporter's own generated
// proto classes, @opentelemetry/otlp-transformer) and keeps every span with its resource's service.name.
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

interface ProtoMessage { decode(b: Uint8Array): unknown; toObject(m: unknown, o: Record<string, unknown>): unknown }
const root = createRequire(import.meta.url)('@opentelemetry/otlp-transformer/build/src/generated/root') as { opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoMessage } } } } } };
const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const hex = (b64: string | undefined) => (b64 ? Buffer.from(b64, 'base64').toString('hex') : '');

/** The protobuf request as its OTLP/JSON spelling (ids in hex). */
function fromProtobuf(body: Buffer): OtlpJson {
  const o = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), { longs: String, bytes: String, defaults: false }) as OtlpJson;
  for (const rs of o.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) {
    Object.assign(s, { traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId) });
  }
  return o;
}

export interface ReceivedSpan {
  service: string;
  /** How it arrived: OTLP/JSON or protobuf. */
  encoding: 'json' | 'protobuf';
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: Record<string, string | number | boolean>;
}

interface OtlpValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }
interface OtlpAttribute { key: string; value: OtlpValue }
interface OtlpJson {
  resourceSpans?: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: OtlpAttribute[] }[] }[] }[];
}

const value = (v: OtlpValue) => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.boolValue ?? v.doubleValue ?? '');
const attributes = (a: OtlpAttribute[] = []) => Object.fromEntries(a.map((x) => [x.key, value(x.value)]));

export interface OtlpReceiver {
  endpoint: string;
  spans: ReceivedSpan[];
  /** Requests that were not OTLP/JSON trace exports (must stay empty). */
  rejected: string[];
  close(): Promise<void>;
}

export async function otlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const rejected: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const type = String(req.headers['content-type']);
      const encoding = type.startsWith('application/json') ? 'json' : type.startsWith('application/x-protobuf') ? 'protobuf' : null;
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !encoding) {
        rejected.push(`${req.method} ${req.url} ${type}`);
        res.writeHead(404).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = encoding === 'json' ? (JSON.parse(raw.toString('utf8')) as OtlpJson) : fromProtobuf(raw);
      for (const rs of body.resourceSpans ?? []) {
        const service = String(attributes(rs.resource?.attributes)['service.name'] ?? '');
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({ service, encoding, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', name: s.name, attributes: attributes(s.attributes) });
          }
        }
      }
      // An empty ExportTraceServiceResponse in either encoding.
      if (encoding === 'json') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    rejected,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

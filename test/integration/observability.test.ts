// Observability against the real stack: the API and a worker run as processes with OTEL_EXPORTER_OTLP_ENDPOINT
// pointing at a local OTLP/HTTP receiver (the API exporting protobuf, the worker OTLP/JSON), and the worker with
// TEMPORAL_METRICS_PORT.
// - One trace: the `POST /campaigns/:id/launch` request's span is the root of the campaign workflow's span, of a
//   call workflow's span and of that call's activity spans (each span's parent chain is followed to the root).
// - The worker serves the Temporal SDK's temporal_* metrics for Prometheus, among them every temporal_* series the
//   Grafana dashboard (observability/grafana-dashboard.json) charts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createCampaign } from '../../services/campaigns';
import { freePort } from '../../scripts/services/process';
import { makeContacts, testStack, waitUntil, type TestStack } from '../helpers/stack';
import { otlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver';
import { campaignWorkflowId, type CampaignStatus } from '../../workflows/definitions';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KEY = 'observability-test-key-0123456789';
let stack: TestStack;
let receiver: OtlpReceiver;
let apiBase: string;
let metricsUrl: string;
const children: ChildProcess[] = [];

function start(entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: {
      ...process.env, TEMPORAL_TASK_QUEUE: stack.cfg.TEMPORAL_TASK_QUEUE, LOG_LEVEL: 'warn',
      // A loaded machine answers slowly: an export that times out is dropped, so give it a minute.
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_TIMEOUT: '60000', ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  return child;
}

before(async () => {
  stack = await testStack();
  receiver = await otlpReceiver();
  const [apiPort, metricsPort] = [await freePort(), await freePort()];
  apiBase = `http://127.0.0.1:${apiPort}`;
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  // Both encodings in one trace: the worker exports OTLP/JSON, the API protobuf (the default).
  start('workers/main.ts', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', SIM_SPEED: '50', SIM_SEED: 'observability', WORKER_INSTANCE_ID: 'otel', TEMPORAL_METRICS_PORT: String(metricsPort) });
  start('api/server.ts', { API_KEY: KEY, API_HOST: '127.0.0.1', API_PORT: String(apiPort) });
  await waitUntil('the API answers', async () => (await fetch(`${apiBase}/health`).catch(() => null))?.status === 200, 120_000);
  await waitUntil('the worker serves its metrics', async () => (await fetch(metricsUrl).catch(() => null))?.status === 200, 120_000);
});

after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await receiver?.close();
  await stack?.close();
});

/** The span's ancestors, nearest first, as far as the received spans go. */
function ancestors(s: ReceivedSpan, byId: Map<string, ReceivedSpan>): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (let p = byId.get(s.parentSpanId); p; p = byId.get(p.parentSpanId)) out.push(p);
  return out;
}

test('one trace from POST /campaigns/:id/launch through the campaign workflow and a call workflow to its activities', async () => {
  const { source } = await makeContacts(stack.prisma, 2);
  const c = await createCampaign(stack.prisma, { name: 'traced', max_concurrent_calls: 2, contact_source: source, time_scale: 1 / 50, max_attempts: 1, ignore_window: true });
  const r = await fetch(`${apiBase}/campaigns/${c.id}/launch`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
  assert.equal(r.status, 202, await r.text());
  const status = (await stack.client.workflow.getHandle(campaignWorkflowId(c.id)).result()) as CampaignStatus;
  assert.equal(status.state, 'completed');
  const calls = await stack.prisma.call.findMany({ where: { campaignId: c.id }, select: { workflowId: true } });
  assert.equal(calls.length, 2);
  const callId = calls[0]!.workflowId;

  const launch = () => receiver.spans.find((s) => s.name === 'POST /campaigns/:id/launch');
  const inTrace = (name: string, workflowId: string) => receiver.spans.find((s) => s.name === name && s.traceId === launch()?.traceId && s.attributes.temporalWorkflowId === workflowId);
  const activities = ['RunActivity:beginCall', 'RunActivity:originate', 'RunActivity:finalizeCall'];
  // Spans are exported in batches (1 s) and a workflow's span when the workflow ends.
  await waitUntil('the spans of the launch, both workflows and the call activities', async () =>
    !!launch() && !!inTrace('RunWorkflow:campaignWorkflow', campaignWorkflowId(c.id)) && !!inTrace('RunWorkflow:callWorkflow', callId) && activities.every((a) => inTrace(a, callId)), 60_000,
  ).catch((err: Error) => {
    const seen = receiver.spans.map((s) => `${s.service} ${s.traceId.slice(0, 8)} ${s.name} ${s.attributes.temporalWorkflowId ?? ''}${s.service.endsWith('-api') ? ' ' + JSON.stringify(s.attributes) : ''}`);
    throw new Error(`${err.message}; received spans:\n${seen.join('\n')}`);
  });

  const root = launch()!;
  assert.equal(root.service, 'minibot-api');
  assert.equal(root.encoding, 'protobuf');
  assert.equal(root.parentSpanId, '', 'the launch request starts the trace');
  assert.equal(root.attributes['http.route'], '/campaigns/:id/launch');
  assert.equal(root.attributes['http.response.status_code'], 202);
  const byId = new Map(receiver.spans.filter((s) => s.traceId === root.traceId).map((s) => [s.spanId, s]));
  const chainToRoot = (s: ReceivedSpan) => ancestors(s, byId).map((a) => a.name);
  const campaign = inTrace('RunWorkflow:campaignWorkflow', campaignWorkflowId(c.id))!;
  const call = inTrace('RunWorkflow:callWorkflow', callId)!;
  assert.equal(campaign.service, 'minibot-worker');
  assert.equal(campaign.encoding, 'json');
  assert.deepEqual(chainToRoot(campaign), ['StartWorkflow:campaignWorkflow', 'POST /campaigns/:id/launch']);
  const callChain = chainToRoot(call);
  assert.equal(callChain[0], 'StartChildWorkflow:callWorkflow');
  assert.deepEqual(callChain.slice(-3), ['RunWorkflow:campaignWorkflow', 'StartWorkflow:campaignWorkflow', 'POST /campaigns/:id/launch']);
  for (const a of activities) {
    const span = inTrace(a, callId)!;
    const chain = chainToRoot(span);
    assert.ok(chain.includes('RunWorkflow:callWorkflow') && chain.at(-1) === 'POST /campaigns/:id/launch', `${a}: ${chain.join(' <- ')}`);
    assert.equal(span.service, 'minibot-worker');
  }
  // Both calls of the campaign are in the launch's trace.
  for (const k of calls) assert.ok(inTrace('RunWorkflow:callWorkflow', k.workflowId), `call ${k.workflowId} traced`);
  // No phone number in any span (names and attributes).
  const phones = (await stack.prisma.call.findMany({ where: { campaignId: c.id }, select: { phone: true } })).map((k) => k.phone.replace('+', ''));
  const text = JSON.stringify(receiver.spans);
  for (const p of phones) assert.ok(!text.includes(p), 'no phone number in the spans');
  assert.deepEqual(receiver.rejected, []);
});

test("the worker serves the Temporal SDK's metrics for Prometheus, every temporal_* series of the dashboard among them", async () => {
  const dashboard = readFileSync(new URL('../../observability/grafana-dashboard.json', import.meta.url), 'utf8');
  const wanted = [...new Set([...dashboard.matchAll(/\b(temporal_[a-z0-9_]+)/g)].map((m) => m[1]!))];
  assert.ok(wanted.length >= 3, `the dashboard charts Temporal SDK series: ${wanted.join(', ')}`);
  const body = await (await fetch(metricsUrl)).text();
  const served = new Set([...body.matchAll(/^(temporal_[a-z0-9_]+?)(?:\{| )/gm)].map((m) => m[1]!));
  assert.ok([...served].some((n) => n.startsWith('temporal_workflow_completed')), `completed workflows counted (served: ${[...served].join(', ')})`);
  // Histograms are charted through their _bucket series; each charted series must be served as such.
  assert.deepEqual(wanted.filter((n) => !served.has(n)), [], `served: ${[...served].sort().join(', ')}`);
  assert.match(body, /temporal_workflow_completed_total\{[^}]*service_name="temporal-core-sdk"[^}]*\} [1-9]/);
});

test("the API's /metrics counts the recorded turns by intent, transcribed or silent, and their ASR confidence", async () => {
  // Whatever the simulated callees said, one turn of known intent and confidence is in the records.
  const call = await stack.prisma.call.findFirstOrThrow({ select: { id: true } });
  await stack.prisma.callInteraction.create({ data: { callId: call.id, turn: 1000, step: 'probe', transcript: 'oui', intent: 'probe', intentConfidence: 0.9, streamingMetadata: { asrConfidence: 0.42 } } });
  const body = await (await fetch(`${apiBase}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).text();
  assert.match(body, /^minibot_intents_total\{intent="probe"\} 1$/m);
  const byIntent = await stack.prisma.callInteraction.groupBy({ by: ['intent'], _count: true });
  for (const g of byIntent) assert.match(body, new RegExp(`^minibot_intents_total\\{intent="${g.intent ?? 'none'}"\\} ${g._count}$`, 'm'));
  const [k] = await stack.prisma.$queryRaw<{ transcribed: number; silent: number; confident: number; le05: number }[]>`
    SELECT count(*) FILTER (WHERE transcript IS NOT NULL AND transcript <> '')::int AS transcribed,
           count(*) FILTER (WHERE transcript IS NULL OR transcript = '')::int AS silent,
           count(*) FILTER (WHERE streaming_metadata->>'asrConfidence' IS NOT NULL)::int AS confident,
           count(*) FILTER (WHERE (streaming_metadata->>'asrConfidence')::float <= 0.5)::int AS le05
    FROM call_interactions`;
  assert.ok(k!.transcribed > 0, 'turns were transcribed');
  assert.match(body, new RegExp(`^minibot_turns_total\\{speech="transcribed"\\} ${k!.transcribed}$`, 'm'));
  if (k!.silent) assert.match(body, new RegExp(`^minibot_turns_total\\{speech="silent"\\} ${k!.silent}$`, 'm'));
  else assert.doesNotMatch(body, /^minibot_turns_total\{speech="silent"\}/m);
  assert.match(body, new RegExp(`^minibot_asr_confidence_count ${k!.confident}$`, 'm'));
  assert.ok(k!.le05 >= 1, 'the probe turn is at most 0.5');
  assert.match(body, new RegExp(`^minibot_asr_confidence_bucket\\{le="0.5"\\} ${k!.le05}$`, 'm'));
});

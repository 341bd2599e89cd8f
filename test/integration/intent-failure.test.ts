// A failing intent classifier is a cause of its own: the call ends `failed` with hangup cause `intent_failed`
// (it used to be caught as a telephony failure and recorded `media_lost`). The classifier really fails: Ollama
// (a local server speaking its API, as in ollama-intent.test.ts) never answers, with a client timeout longer
// than the activity's, so every attempt of the activity times out.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCampaign, launchCampaign } from '../../services/campaigns';
import { createWorkers, type WorkerSet } from '../../workers/workers';
import { SimulatedTelephony, promptDurationsFrom } from '../../telephony/simulated';
import { temporalSignalSink } from '../../telephony/temporal-sink';
import { makeContacts, testStack, type TestStack } from '../helpers/stack';

let stack: TestStack;
let set: WorkerSet;
let running: Promise<void>;
let ollama: Server;

before(async () => {
  ollama = createServer(() => undefined); // accepts every request and never answers
  await new Promise<void>((r) => ollama.listen(0, '127.0.0.1', r));
  stack = await testStack();
  const telephony = new SimulatedTelephony(temporalSignalSink(stack.client), {
    speed: 60, lineMix: { answer: 1 }, personaMix: { refuser: 1 }, promptMs: promptDurationsFrom(stack.cfg.AUDIO_DIR),
  });
  set = await createWorkers({
    connection: stack.connection, client: stack.client, namespace: stack.cfg.TEMPORAL_NAMESPACE, taskQueue: stack.cfg.TEMPORAL_TASK_QUEUE,
    prisma: stack.prisma, telephony,
    // Every utterance goes to Ollama (threshold above any confidence), which outlasts the activity's 30 s timeout.
    intent: { ollamaUrl: `http://127.0.0.1:${(ollama.address() as AddressInfo).port}`, ollamaModel: 'phi3:mini', ollamaTimeoutMs: 40_000, llmThreshold: 1.01, log: { warn() {} } },
  });
  running = set.run();
});
after(async () => {
  ollama?.closeAllConnections(); // first: the last hanging request ends, so the worker can stop
  ollama?.close();
  await set?.shutdown();
  await running;
  await stack?.close();
});

test('the intent activity failing ends the call failed / intent_failed, not media_lost', async () => {
  const { source, ids } = await makeContacts(stack.prisma, 1);
  const c = await createCampaign(stack.prisma, { name: 'intent failure', max_concurrent_calls: 1, contact_source: source, max_attempts: 1, time_scale: 1 / 60, ignore_window: true });
  const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);
  await stack.client.workflow.getHandle(workflowId).result();
  const calls = await stack.prisma.call.findMany({ where: { campaignId: c.id } });
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.contactId, ids[0]);
  assert.ok(calls[0]!.answeredAt, 'the call was answered and the callee spoke');
  assert.equal(calls[0]!.outcome, 'failed');
  assert.equal(calls[0]!.hangupCause, 'intent_failed');
  const cc = await stack.prisma.campaignContact.findFirstOrThrow({ where: { campaignId: c.id } });
  assert.equal(cc.state, 'done', 'one attempt allowed: the contact is settled');
});

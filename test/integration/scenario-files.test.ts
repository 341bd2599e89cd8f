// An operator's scenario from SCENARIOS_DIR, run by a campaign on the simulated telephony: its own prompts play,
// its captured answers reach the leads, an edit of the file mid-campaign reaches the next calls only, and the
// history of a call recorded before the edit still replays after it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { resetConfigCache } from '../../runtime/config';
import { createCampaign, launchCampaign, ValidationError } from '../../services/campaigns';
import { readLeads } from '../../services/leads';
import { workflowBundle } from '../../workers/workers';
import { makeContacts, startWorkers, testStack, type RunningWorkers, type TestStack } from '../helpers/stack';
import { runMinibot } from '../helpers/minibot-cli';

let stack: TestStack;
let workers: RunningWorkers;
const dir = mkdtempSync(join(tmpdir(), 'minibot-scenarios-'));
const scenarioDir = join(dir, 'chauffage');

// Version 1 asks q1 (owner?) and keeps the answer; version 2 asks q2 (house?) instead. The prompt ids are the
// simulated callees' cues (their script is keyed by prompt id); the scenario's own WAVs play, not the shared ones.
const version = (question: 'q1' | 'q2', field: string) => `
name: chauffage
description: Qualification pompes à chaleur (${question})
disclosure: { company: Thermo Plus, purpose: pompes à chaleur }
prompts:
  hello: "Bonjour, ici l'assistante virtuelle de Thermo Plus. Ceci est un appel automatisé au sujet des pompes à chaleur. Avez-vous une minute ?"
  ${question}: "Une question rapide: ${question === 'q1' ? 'êtes-vous propriétaire' : 'habitez-vous une maison'} ?"
  is_leads: "Un conseiller peut-il vous rappeler ?"
x-stop: &stop { next: bye, outcome: opted_out }
start: hello
steps:
  hello:
    prompt: hello
    on: { affirm: ask, stop: *stop, silence: repeat }
    otherwise: { next: bye, outcome: not_interested }
    on_retries_exhausted: { next: bye, outcome: no_answer }
  ask:
    prompt: ${question}
    capture: { field: ${field}, value: yes_no }
    on: { stop: *stop }
    otherwise: lead
  lead:
    prompt: is_leads
    on: { affirm: { next: bye, outcome: lead }, stop: *stop }
    otherwise: { next: bye, outcome: not_interested }
  bye: { prompt: bye_success, end: not_interested }
`;

function writeVersion(question: 'q1' | 'q2', field: string): void {
  writeFileSync(join(scenarioDir, 'scenario.yaml'), version(question, field));
}

before(async () => {
  mkdirSync(join(scenarioDir, 'prompts'), { recursive: true });
  // Valid prompt WAVs (8 kHz mono 16-bit): the shared ones copied under the scenario's own ids.
  for (const id of ['hello', 'q1', 'q2', 'is_leads']) copyFileSync(`audio/${id}.wav`, join(scenarioDir, 'prompts', `${id}.wav`));
  writeVersion('q1', 'proprietaire');
  // The API/CLI, the launch and the workers (in this process) all read SCENARIOS_DIR from the environment.
  process.env.SCENARIOS_DIR = dir;
  resetConfigCache();
  stack = await testStack();
  workers = await startWorkers(stack, { speed: 10, seed: 'scenario-files', lineMix: { answer: 1 }, personaMix: { lead: 1 } });
});
after(async () => {
  await workers?.stop();
  await stack?.close();
  delete process.env.SCENARIOS_DIR;
  resetConfigCache();
  rmSync(dir, { recursive: true, force: true });
});

test('the CLI lists, validates and shows an operator scenario; a broken one is refused at launch with its path', async () => {
  const env = { SCENARIOS_DIR: dir };
  const list = await runMinibot(['scenario', 'list'], env);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /^✓ production +built-in/m);
  assert.match(list.out, /^✓ chauffage +operator  Qualification pompes à chaleur \(q1\)$/m);
  const ok = await runMinibot(['scenario', 'validate', scenarioDir], env);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.out, '✓ chauffage: 4 steps, 3 prompt(s) of its own, valid\n');
  const show = await runMinibot(['scenario', 'show', 'chauffage'], env);
  assert.equal(show.code, 0, show.err);
  assert.match(show.out, /^ask  prompt q1  \(listens 6 s, 1 repeat\(s\), barge-in after 300 ms\)\n    « Une question rapide: êtes-vous propriétaire \? »\n    keeps the answer as "proprietaire" \(yes_no\)$/m);

  const unknown = await runMinibot(['scenario', 'show', 'nope'], env);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.err, 'minibot: unknown scenario "nope" (known: production, test, transfer, chauffage)\n');
  await assert.rejects(createCampaign(stack.prisma, { name: 'x', scenario: 'nope' }), (e: unknown) =>
    e instanceof ValidationError && e.issues[0]!.field === 'scenario' && e.issues[0]!.reason.startsWith('unknown scenario "nope" (known: production, test, transfer, chauffage;'));

  // A transition to a step that does not exist: validate names file, line and path; the launch refuses.
  writeFileSync(join(scenarioDir, 'scenario.yaml'), version('q1', 'proprietaire').replace('otherwise: lead', 'otherwise: q4'));
  const bad = await runMinibot(['scenario', 'validate', scenarioDir], env);
  assert.equal(bad.code, 1);
  const line = version('q1', 'proprietaire').split('\n').findIndex((l) => l.includes('otherwise: lead')) + 1;
  assert.equal(bad.err, `${join(scenarioDir, 'scenario.yaml')}:${line}: steps.ask.otherwise.next: unknown step "q4"\n1 problem(s): scenario "chauffage" is not valid\n`);
  const c = await createCampaign(stack.prisma, { name: 'broken', scenario: 'chauffage', ignore_window: true });
  await assert.rejects(launchCampaign(stack.client, stack.prisma, stack.cfg, c.id), (e: unknown) =>
    e instanceof ValidationError && JSON.stringify(e.issues) === JSON.stringify([{ field: 'scenario', reason: 'steps.ask.otherwise.next: unknown step "q4"' }]));
  writeVersion('q1', 'proprietaire');
});

test('an edit mid-campaign reaches the next calls only; captures reach the leads; a call recorded before the edit replays after it', async () => {
  const { source } = await makeContacts(stack.prisma, 2);
  const c = await createCampaign(stack.prisma, { name: 'chauffage', scenario: 'chauffage', max_concurrent_calls: 1, contact_source: source, time_scale: 1 / 10, max_attempts: 1, ignore_window: true });
  // One contact per claim: the second call's graph is read after the first call is under way.
  await stack.prisma.campaign.update({ where: { id: c.id }, data: { settings: { source, timeScale: 1 / 10, ignoreWindow: true, batchSize: 1 } } });
  const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);

  // Edit the file while the first call is in progress.
  const deadline = Date.now() + 120_000;
  let first: { workflowId: string } | null = null;
  while (!first && Date.now() < deadline) {
    first = await stack.prisma.call.findFirst({ where: { campaignId: c.id, endedAt: null }, select: { workflowId: true } });
    if (!first) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(first, 'the first call started');
  writeVersion('q2', 'maison');
  await stack.client.workflow.getHandle(workflowId).result();

  const calls = await stack.prisma.call.findMany({
    where: { campaignId: c.id }, orderBy: { dialedAt: 'asc' },
    include: { interactions: { orderBy: { turn: 'asc' }, select: { step: true, prompt: true, intent: true } } },
  });
  assert.equal(calls.length, 2);
  assert.equal(calls[0]!.workflowId, first!.workflowId);
  assert.deepEqual(calls.map((k) => k.outcome), ['lead', 'lead']);
  // The first call kept version 1 (q1) though the file changed during it; the second ran version 2 (q2).
  assert.deepEqual(calls[0]!.interactions, [
    { step: 'hello', prompt: 'hello', intent: 'affirm' }, { step: 'ask', prompt: 'q1', intent: 'affirm' }, { step: 'lead', prompt: 'is_leads', intent: 'affirm' },
  ]);
  assert.deepEqual(calls[1]!.interactions, [
    { step: 'hello', prompt: 'hello', intent: 'affirm' }, { step: 'ask', prompt: 'q2', intent: 'affirm' }, { step: 'lead', prompt: 'is_leads', intent: 'affirm' },
  ]);

  // The captured answers, in the leads (API and export share readLeads).
  const leads = await readLeads(stack.prisma, c.id, { take: 10 });
  assert.deepEqual(leads.map((l) => [l.callId, l.captures]), [
    [calls[0]!.id, { proprietaire: { value: true, transcript: 'oui tout à fait', intent: 'affirm', step: 'ask', turn: 2 } }],
    [calls[1]!.id, { maison: { value: true, transcript: 'oui bien sûr', intent: 'affirm', step: 'ask', turn: 2 } }],
  ]);
  const csv = await runMinibot(['leads', 'export', '--campaign', c.id], { SCENARIOS_DIR: dir });
  assert.equal(csv.code, 0, csv.err);
  assert.deepEqual(csv.out.trimEnd().split('\r\n').slice(1).map((l) => l.split(';').at(-1)), ['proprietaire=oui', 'maison=oui']);

  // Replay after the edit: the first call's history (recorded on version 1) and the campaign's.
  const histories = [];
  for (const id of [workflowId, calls[0]!.workflowId, calls[1]!.workflowId]) {
    histories.push({ workflowId: id, history: await stack.client.workflow.getHandle(id).fetchHistory() });
  }
  writeVersion('q1', 'autre'); // and yet another edit: replays never read the file
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), dataConverter: stack.client.options.dataConverter }, histories)) {
    assert.equal(r.error, undefined, `${r.workflowId}: ${r.error?.message}`);
    replayed++;
  }
  assert.equal(replayed, 3);
});

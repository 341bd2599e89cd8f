// Scenario files: the built-in ones compile to the graphs the workflows have always run, and a broken file is
// refused with its file, line and path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compileScenarioFile, formatIssue, type ScenarioContext } from '../../lib/scenario-file';
import { PRODUCTION, PROMPTS, TEST, TRANSFER, decide } from '../../lib/scenario';
import { captureAnswer, extractNumber, extractYesNo } from '../../lib/capture';
import { loadPromptTexts } from '../../services/prompts';

const shared = loadPromptTexts('audio');
const ctx = (own: string[] = []): ScenarioContext => ({ ownPromptFiles: own, shared: { files: [...PROMPTS], texts: shared.texts, identity: shared.identity } });
const compile = (text: string, own: string[] = []) => compileScenarioFile(text, 'scenarios/x/scenario.yaml', ctx(own));
const problems = (text: string, own: string[] = []) => compile(text, own).issues.map(formatIssue);

test('the built-in scenario files compile to exactly the graphs of lib/scenario.ts', () => {
  for (const [name, graph] of [['production', PRODUCTION], ['test', TEST], ['transfer', TRANSFER]] as const) {
    const r = compileScenarioFile(readFileSync(`scenarios/${name}/scenario.yaml`, 'utf8'), `scenarios/${name}/scenario.yaml`, ctx());
    assert.deepEqual(r.issues, [], name);
    assert.deepStrictEqual(r.scenario, graph, name);
  }
});

// A small operator scenario: its own prompts, a capture, DTMF, a transfer, JSON or YAML.
const OWN = `
name: x
description: Qualification chauffage
disclosure: { company: Thermo Plus, purpose: pompes à chaleur }
prompts:
  accueil: "Bonjour, ici l'assistante virtuelle de Thermo Plus, un appel automatisé au sujet des pompes à chaleur. Êtes-vous propriétaire ?"
  surface: "Quelle est la surface de votre logement, en mètres carrés ?"
  attente: "Je vous passe un conseiller, merci de patienter."
  merci: "Merci, au revoir."
on_dtmf: { "3": callback }
start: accueil
x-stop: &stop { next: fin, outcome: opted_out }
steps:
  accueil:
    prompt: accueil
    on: { affirm: surface, deny: { next: fin, outcome: not_interested }, stop: *stop, silence: repeat }
    otherwise: { next: fin, outcome: not_interested }
    on_retries_exhausted: { next: fin, outcome: no_answer }
  surface:
    prompt: surface
    timeout_seconds: 8
    capture: { field: surface_m2, value: number }
    on: { stop: *stop }
    otherwise: conseiller
  conseiller:
    prompt: attente
    listen: false
    transfer: { hold_prompt: attente, timeout_seconds: 25, on_no_agent: fin }
    otherwise: { next: fin, outcome: lead }
  fin: { prompt: merci, end: not_interested }
`;
const OWN_FILES = ['accueil', 'surface', 'attente', 'merci'];

test('an operator scenario compiles: own prompts, defaults, capture, DTMF map, transfer, implied effects', () => {
  const r = compile(OWN, OWN_FILES);
  assert.deepEqual(r.issues, []);
  const s = r.scenario!;
  assert.equal(s.start, 'accueil');
  assert.deepEqual(s.steps.surface, {
    id: 'surface', prompt: 'surface', listen: true, timeoutMs: 8000, maxRetries: 1, bargeIn: { enabled: true, minSpeechMs: 300 },
    on: { stop: { next: 'fin', outcome: 'opted_out', effects: ['opt_out'] } }, otherwise: { next: 'conseiller' },
    dtmf: { '3': 'callback' }, capture: { field: 'surface_m2', kind: 'number' },
  });
  assert.deepEqual(s.steps.conseiller!.transfer, { holdPrompt: 'attente', timeoutMs: 25_000, onNoAgent: 'fin' });
  assert.deepEqual(decide(s, 'accueil', 'deny', 0), { next: 'fin', repeat: false, outcome: 'not_interested', effects: ['refusal'] });
  assert.deepEqual(r.prompts.surface, 'Quelle est la surface de votre logement, en mètres carrés ?');
  // The same scenario written as JSON compiles to the same graph.
  assert.deepStrictEqual(compile(JSON.stringify(ownAsJson(r.prompts)), OWN_FILES).scenario, s);
});

/** The JSON form of OWN (JSON has no aliases: the opt-out transition is written out). */
function ownAsJson(prompts: Record<string, string>): unknown {
  return {
    name: 'x', description: 'Qualification chauffage', disclosure: { company: 'Thermo Plus', purpose: 'pompes à chaleur' }, prompts,
    on_dtmf: { '3': 'callback' }, start: 'accueil',
    steps: {
      accueil: { prompt: 'accueil', on: { affirm: 'surface', deny: { next: 'fin', outcome: 'not_interested' }, stop: { next: 'fin', outcome: 'opted_out' }, silence: 'repeat' }, otherwise: { next: 'fin', outcome: 'not_interested' }, on_retries_exhausted: { next: 'fin', outcome: 'no_answer' } },
      surface: { prompt: 'surface', timeout_seconds: 8, capture: { field: 'surface_m2', value: 'number' }, on: { stop: { next: 'fin', outcome: 'opted_out' } }, otherwise: 'conseiller' },
      conseiller: { prompt: 'attente', listen: false, transfer: { hold_prompt: 'attente', timeout_seconds: 25, on_no_agent: 'fin' }, otherwise: { next: 'fin', outcome: 'lead' } },
      fin: { prompt: 'merci', end: 'not_interested' },
    },
  };
}

test('an unknown step is named with its file, line and path', () => {
  const text = OWN.replace('otherwise: conseiller', 'otherwise: q4');
  const line = text.split('\n').findIndex((l) => l.includes('otherwise: q4')) + 1;
  assert.deepEqual(problems(text, OWN_FILES), [`scenarios/x/scenario.yaml:${line}: steps.surface.otherwise.next: unknown step "q4"`]);
  const t2 = OWN.replace('affirm: surface', 'affirm: { next: q4 }');
  const l2 = t2.split('\n').findIndex((l) => l.includes('next: q4')) + 1;
  assert.deepEqual(problems(t2, OWN_FILES), [`scenarios/x/scenario.yaml:${l2}: steps.accueil.on.affirm.next: unknown step "q4"`]);
});

test('unreachable steps, dead ends and loops without an exit are refused', () => {
  const orphan = OWN + '  seul: { prompt: merci, end: lead }\n';
  assert.deepEqual(problems(orphan, OWN_FILES), [`scenarios/x/scenario.yaml:${orphan.split('\n').length - 1}: steps.seul: unreachable: no transition from "accueil" leads here`]);
  const dead = OWN.replace("    otherwise: { next: fin, outcome: lead }", '    otherwise: {}');
  const l = dead.split('\n').findIndex((x) => x.includes('otherwise: {}')) + 1;
  assert.deepEqual(problems(dead, OWN_FILES), [`scenarios/x/scenario.yaml:${l}: steps.conseiller.otherwise: dead end: hangs up without an outcome (give it \`next:\` or \`outcome:\`)`]);
  // surface <-> conseiller with no way out.
  const loop = OWN.replace("    otherwise: { next: fin, outcome: lead }", '    otherwise: surface').replace('on_no_agent: fin', 'on_no_agent: surface').replace('on: { stop: *stop }', 'on: { stop: { next: surface, outcome: opted_out } }');
  const msgs = problems(loop, OWN_FILES);
  assert.deepEqual(msgs.map((m) => m.replace(/^[^:]+:\d+: /, '')), [
    'steps.surface: dead end: no path from this step ever ends the call (an end: step or an outcome)',
    'steps.conseiller: dead end: no path from this step ever ends the call (an end: step or an outcome)',
  ]);
});

test('missing prompt files, unknown prompts, a first prompt without the disclosure and a step deaf to opt-out are refused', () => {
  assert.deepEqual(problems(OWN, ['accueil', 'surface', 'attente']).map((m) => m.replace(/^[^:]+:\d+: /, '')), [
    'prompts.merci: prompt file prompts/merci.wav is missing (npm run audio:build, or drop in a recording and run npm run audio:validate)',
  ]);
  assert.deepEqual(problems(OWN.replace('prompt: merci,', 'prompt: adieu,'), OWN_FILES).map((m) => m.replace(/^[^:]+:\d+: /, '')), [
    'steps.fin.prompt: unknown prompt "adieu": no text in prompts: and no prompts/adieu.wav in the scenario nor in the shared library',
  ]);
  const bare = OWN.replace("l'assistante virtuelle de Thermo Plus, un appel automatisé au sujet des pompes à chaleur", 'Camille');
  const l = bare.split('\n').findIndex((x) => x.includes('accueil: "Bonjour')) + 1;
  assert.deepEqual(problems(bare, OWN_FILES), [
    `scenarios/x/scenario.yaml:${l}: prompts.accueil: prompt "accueil" does not say who calls: the company (Code de la consommation L.221-16)`,
    `scenarios/x/scenario.yaml:${l}: prompts.accueil: prompt "accueil" does not say why: the commercial purpose of the call (Code de la consommation L.221-16)`,
    `scenarios/x/scenario.yaml:${l}: prompts.accueil: prompt "accueil" does not say that the call is automated, an AI system speaking (EU AI Act art. 50, from 2 August 2026)`,
  ]);
  assert.deepEqual(problems(OWN.replace('on: { stop: *stop }', 'on: { stop: conseiller }'), OWN_FILES).map((m) => m.replace(/^[^:]+:\d+: /, '')), [
    'steps.surface.on.stop: a listening step must honour an opt-out: `stop` needs outcome opted_out',
  ]);
  assert.deepEqual(problems(OWN.replace('on_dtmf: { "3": callback }', 'on_dtmf: { "9": affirm }'), OWN_FILES).map((m) => m.replace(/^[^:]+:\d+: /, '')), [
    'steps.accueil.on_dtmf.9: key 9 is the opt-out key on every listening step: it cannot be remapped',
    'steps.surface.on_dtmf.9: key 9 is the opt-out key on every listening step: it cannot be remapped',
  ]);
});

test('schema errors and YAML syntax errors name the line and the path', () => {
  const t = OWN.replace('timeout_seconds: 8', 'timeout_seconds: huit');
  const l = t.split('\n').findIndex((x) => x.includes('huit')) + 1;
  assert.deepEqual(problems(t, OWN_FILES), [`scenarios/x/scenario.yaml:${l}: steps.surface.timeout_seconds: Invalid input: expected number, received string`]);
  const t2 = OWN.replace('end: not_interested', 'end: ravi');
  const l2 = t2.split('\n').findIndex((x) => x.includes('ravi')) + 1;
  assert.match(problems(t2, OWN_FILES)[0]!, new RegExp(`^scenarios/x/scenario.yaml:${l2}: steps.fin.end: Invalid option`));
  assert.match(problems('name: x\n  bad: [\n')[0]!, /^scenarios\/x\/scenario.yaml:\d+: not valid YAML\/JSON: /);
  assert.deepEqual(problems(OWN.replace('  fin: {', '  surface: {'), OWN_FILES).length, 1);
});

test('capture extractors: numbers in words and digits, yes/no, dates', () => {
  assert.equal(extractNumber('cent vingt mètres carrés'), 120);
  assert.equal(extractNumber('quatre-vingt-dix'), 90);
  assert.equal(extractNumber('soixante et onze'), 71);
  assert.equal(extractNumber('deux mille cinq cents euros'), 2500);
  assert.equal(extractNumber('à peu près 1 500 euros par an'), 1500);
  assert.equal(extractNumber('2,5 kilowatts'), 2.5);
  assert.equal(extractNumber('je ne sais pas'), null);
  assert.equal(extractYesNo('euh ouais', null), true);
  assert.equal(extractYesNo('non pas du tout', null), false);
  assert.equal(extractYesNo('peut-être', 'unsure'), null);
  assert.equal(extractYesNo('', 'affirm'), true);
  const now = new Date('2026-12-01T10:00:00Z');
  assert.deepEqual(captureAnswer({ field: 'rappel', kind: 'datetime' }, { transcript: 'demain à dix-huit heures', intent: 'callback' }, now, 'Europe/Paris'),
    { field: 'rappel', kind: 'datetime', transcript: 'demain à dix-huit heures', intent: 'callback', value: '2026-12-02T18:00:00+01:00' });
  assert.deepEqual(captureAnswer({ field: 'proprio', kind: 'yes_no' }, { transcript: null, intent: 'deny', dtmf: '2' }, now, 'Europe/Paris'),
    { field: 'proprio', kind: 'yes_no', transcript: null, intent: 'deny', value: false });
  assert.equal(captureAnswer({ field: 'n', kind: 'text' }, { transcript: '  chaudière fioul ', intent: 'affirm' }, now, 'Europe/Paris').value, 'chaudière fioul');
});

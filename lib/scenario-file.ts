// Scenario files (scenarios/<name>/scenario.yaml, or .json): the text an operator writes, parsed, checked and
// compiled into the graph the call workflow walks (lib/scenario.ts's `Scenario`). Pure: the text, the prompt
// files present and the shared prompts' texts are parameters (services/scenarios.ts reads the folders).
// Every problem names the file, the line and the path (`steps.q2.on.affirm.next: unknown step "q4"`).
import { isMap, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { INTENTS, type Intent } from './intent/types';
import { CALL_OUTCOMES, type CallOutcome } from './outcomes';
import { disclosureErrors, type DisclosureIdentity } from './disclosure';
import { CAPTURE_KINDS } from './capture';
import { DEFAULT_DTMF, type BargeInPolicy, type Effect, type Scenario, type Step, type StepEvent, type Transition } from './scenario';

export interface ScenarioIssue {
  file: string;
  /** 1-based line of the value at fault (or of its nearest written parent); null when it is not in the file. */
  line: number | null;
  /** Dotted path in the file (`steps.q2.on.affirm.next`); '' for the whole file. */
  path: string;
  message: string;
}

export function formatIssue(i: ScenarioIssue): string {
  return `${i.file}${i.line !== null ? `:${i.line}` : ''}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

const ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const id = z.string().regex(ID, 'expected an id: lower-case letters, digits, _ and -, up to 63 characters');
const EVENTS = [...INTENTS, 'silence'] as const;
const EFFECTS = ['opt_out', 'note_callback', 'refusal'] as const;

/** A transition: a step id (or `repeat`), or the long form. `next` omitted = hang up. */
const transitionSchema = z.union([
  z.string(),
  z.object({
    next: z.string().optional(),
    outcome: z.enum(CALL_OUTCOMES).optional(),
    effects: z.array(z.enum(EFFECTS)).optional(),
  }).strict(),
]);
type TransitionIn = z.infer<typeof transitionSchema>;

const dtmfSchema = z.record(z.string().regex(/^[0-9*#]$/, 'expected a key: 0-9, * or #'), z.enum(INTENTS).nullable());

const bargeInSchema = z.union([
  z.boolean(),
  z.object({ enabled: z.boolean().default(true), min_speech_ms: z.number().int().min(0).max(5000).default(300) }).strict(),
]);

const stepSchema = z.object({
  prompt: id,
  listen: z.boolean().optional(),
  timeout_seconds: z.number().min(0.5).max(60).optional(),
  max_retries: z.number().int().min(0).max(5).optional(),
  barge_in: bargeInSchema.optional(),
  on: z.partialRecord(z.enum(EVENTS), transitionSchema).optional(),
  on_dtmf: dtmfSchema.optional(),
  otherwise: transitionSchema.optional(),
  on_retries_exhausted: transitionSchema.optional(),
  end: z.enum(CALL_OUTCOMES).optional(),
  capture: z.object({ field: id, value: z.enum(CAPTURE_KINDS).default('text') }).strict().optional(),
  transfer: z.object({ hold_prompt: id, timeout_seconds: z.number().min(1).max(300), on_no_agent: z.string() }).strict().optional(),
}).strict();

export const scenarioFileSchema = z.object({
  name: id,
  description: z.string().trim().min(1).max(500),
  /** A technical scenario (audio tests) never calls prospects: the disclosure rules do not apply. */
  technical: z.boolean().default(false),
  /** Who calls and why, as the first prompt must say it; default: audio/prompts.json's `disclosure`. */
  disclosure: z.object({ company: z.string().trim().min(1), purpose: z.string().trim().min(1) }).strict().optional(),
  /** The scenario's own prompts' French texts, rendered into prompts/<id>.wav by `npm run audio:build`. */
  prompts: z.record(id, z.string().trim().min(1)).default({}),
  /** Step defaults. */
  listen_timeout_seconds: z.number().min(0.5).max(60).default(6),
  max_retries: z.number().int().min(0).max(5).default(1),
  barge_in: bargeInSchema.default(true),
  /** Keys read as intents on every listening step (on top of 1 yes, 2 no, 9 opt-out). */
  on_dtmf: dtmfSchema.optional(),
  start: z.string(),
  steps: z.record(id, stepSchema).refine((s) => Object.keys(s).length > 0, 'a scenario needs at least one step'),
}).strict();
export type ScenarioFile = z.infer<typeof scenarioFileSchema>;

/** What the validator needs to know beyond the text (read by the caller). */
export interface ScenarioContext {
  /** Prompt ids with a WAV in the scenario's own prompts/ folder. */
  ownPromptFiles: readonly string[];
  /** Prompt ids with a WAV in the shared prompt library (AUDIO_DIR) and their texts (audio/prompts.json). */
  shared: { files: readonly string[]; texts: Record<string, string>; identity: DisclosureIdentity | null; identityError?: string };
}

export interface CompiledScenarioFile {
  /** Present when there is no issue. */
  scenario: Scenario | null;
  /** The texts of the scenario's own prompts (for audio:build), once the file passes the schema. */
  prompts: Record<string, string>;
  /** Its description, once the file passes the schema (shown by `scenario list` even when the graph is wrong). */
  description: string | null;
  issues: ScenarioIssue[];
}

/** Where a path is in the file: the line of its node, or of its nearest ancestor that is written. */
function lineOf(doc: Document, lc: LineCounter, path: (string | number)[]): number | null {
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as Node | null | undefined;
    if (node && typeof node === 'object' && 'range' in node && node.range) return lc.linePos(node.range[0]).line;
    if (n > 0 && isMap(doc.getIn(path.slice(0, n - 1), true))) {
      // The key exists with a null value (e.g. `on:` alone): point at the key.
      const parent = doc.getIn(path.slice(0, n - 1), true) as { items: { key: Node & { value?: unknown }; value: unknown }[] };
      const pair = parent.items.find((p) => (p.key as { value?: unknown })?.value === path[n - 1]);
      if (pair?.key?.range) return lc.linePos(pair.key.range[0]).line;
    }
  }
  return null;
}

/**
 * Parses, checks and compiles one scenario file's text. `file` is only used in messages. YAML 1.2 (so JSON too);
 * anchors and aliases are allowed (`*opt_out` for a transition written once).
 */
export function compileScenarioFile(text: string, file: string, ctx: ScenarioContext): CompiledScenarioFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  const issues: ScenarioIssue[] = [];
  const at = (path: (string | number)[], message: string) => issues.push({ file, line: lineOf(doc, lc, path), path: path.join('.'), message });
  if (doc.errors.length) {
    for (const e of doc.errors) issues.push({ file, line: e.linePos?.[0]?.line ?? null, path: '', message: `not valid YAML/JSON: ${e.message.split('\n')[0]}` });
    return { scenario: null, prompts: {}, description: null, issues };
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 1000 });
  // Top-level `x-…` keys hold what anchors are written once for (`x-opt-out: &opt_out {…}`); they are not read.
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) for (const k of Object.keys(raw)) if (k.startsWith('x-')) delete (raw as Record<string, unknown>)[k];
  const parsed = scenarioFileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) at(i.path.filter((p): p is string | number => typeof p !== 'symbol'), i.message);
    return { scenario: null, prompts: {}, description: null, issues };
  }
  const f = parsed.data;
  const scenario = compile(f);
  issues.push(...checkGraph(f, scenario, ctx).map((i) => ({ file, line: lineOf(doc, lc, i.path), path: i.path.join('.'), message: i.message })));
  return { scenario: issues.length ? null : scenario, prompts: f.prompts, description: f.description, issues };
}

function bargeIn(b: z.infer<typeof bargeInSchema>): BargeInPolicy {
  if (typeof b === 'boolean') return b ? { enabled: true, minSpeechMs: 300 } : { enabled: false, minSpeechMs: 0 };
  return { enabled: b.enabled, minSpeechMs: b.min_speech_ms };
}

/** The effects an outcome implies, so that no scenario can set `opted_out` and forget the do-not-call row. */
const IMPLIED: Partial<Record<CallOutcome, Effect>> = { opted_out: 'opt_out', callback: 'note_callback', not_interested: 'refusal' };

function transition(t: TransitionIn | undefined): Transition {
  if (t === undefined) return {};
  if (typeof t === 'string') return { next: t === 'repeat' ? '$repeat' : t };
  const out: Transition = {};
  if (t.next !== undefined) out.next = t.next === 'repeat' ? '$repeat' : t.next;
  if (t.outcome) out.outcome = t.outcome;
  const effects = [...(t.effects ?? [])];
  const implied = t.outcome ? IMPLIED[t.outcome] : undefined;
  if (implied && !effects.includes(implied)) effects.push(implied);
  if (effects.length) out.effects = effects;
  return out;
}

function compile(f: ScenarioFile): Scenario {
  const steps: Record<string, Step> = {};
  for (const [sid, s] of Object.entries(f.steps)) {
    const terminal = s.end !== undefined;
    const listen = s.listen ?? !terminal;
    const step: Step = {
      id: sid, prompt: s.prompt, listen,
      timeoutMs: listen ? Math.round((s.timeout_seconds ?? f.listen_timeout_seconds) * 1000) : 0,
      maxRetries: listen ? s.max_retries ?? f.max_retries : 0,
      on: {},
      otherwise: transition(s.otherwise),
      bargeIn: listen ? bargeIn(s.barge_in ?? f.barge_in) : bargeIn(s.barge_in ?? false),
    };
    for (const [ev, t] of Object.entries(s.on ?? {})) step.on[ev as StepEvent] = transition(t);
    if (s.on_retries_exhausted !== undefined) step.onRetriesExhausted = transition(s.on_retries_exhausted);
    if (terminal) step.end = s.end;
    const dtmf = { ...(f.on_dtmf ?? {}), ...(s.on_dtmf ?? {}) } as Record<string, Intent | null>;
    if (Object.keys(dtmf).length) step.dtmf = dtmf;
    if (s.capture) step.capture = { field: s.capture.field, kind: s.capture.value };
    if (s.transfer) step.transfer = { holdPrompt: s.transfer.hold_prompt, timeoutMs: Math.round(s.transfer.timeout_seconds * 1000), onNoAgent: s.transfer.on_no_agent };
    steps[sid] = step;
  }
  return { name: f.name, description: f.description, start: f.start, steps, ...(f.technical ? { technical: true } : {}) };
}

interface GraphIssue {
  path: (string | number)[];
  message: string;
}

/** Each transition of a step with the path it is written at in the file. */
function edgesOf(sid: string, s: ScenarioFile['steps'][string], step: Step): { path: (string | number)[]; t: Transition }[] {
  const e: { path: (string | number)[]; t: Transition }[] = [];
  for (const ev of Object.keys(s.on ?? {})) e.push({ path: ['steps', sid, 'on', ev], t: step.on[ev as StepEvent]! });
  if (s.otherwise !== undefined || step.end === undefined) e.push({ path: ['steps', sid, 'otherwise'], t: step.otherwise });
  if (step.onRetriesExhausted) e.push({ path: ['steps', sid, 'on_retries_exhausted'], t: step.onRetriesExhausted });
  if (step.transfer) e.push({ path: ['steps', sid, 'transfer', 'on_no_agent'], t: { next: step.transfer.onNoAgent } });
  return e;
}

/** The graph rules: known steps, reachability, no dead end, prompts present, the disclosure, the opt-out. */
function checkGraph(f: ScenarioFile, sc: Scenario, ctx: ScenarioContext): GraphIssue[] {
  const out: GraphIssue[] = [];
  const own = new Set(ctx.ownPromptFiles);
  const shared = new Set(ctx.shared.files);
  if (!sc.steps[sc.start]) out.push({ path: ['start'], message: `unknown step "${sc.start}" (steps: ${Object.keys(sc.steps).join(', ')})` });
  for (const pid of Object.keys(f.prompts)) {
    if (!own.has(pid)) out.push({ path: ['prompts', pid], message: `prompt file prompts/${pid}.wav is missing (npm run audio:build, or drop in a recording and run npm run audio:validate)` });
  }
  const promptOk = (pid: string, path: (string | number)[]) => {
    if (!own.has(pid) && !f.prompts[pid] && !shared.has(pid)) {
      out.push({ path, message: `unknown prompt "${pid}": no text in prompts: and no prompts/${pid}.wav in the scenario nor in the shared library` });
    }
  };
  const hangsUp: string[] = [];
  for (const [sid, s] of Object.entries(f.steps)) {
    const step = sc.steps[sid]!;
    promptOk(step.prompt, ['steps', sid, 'prompt']);
    if (s.transfer) promptOk(s.transfer.hold_prompt, ['steps', sid, 'transfer', 'hold_prompt']);
    if (step.end && step.listen) out.push({ path: ['steps', sid, 'listen'], message: 'a terminal step (end:) cannot listen' });
    if (step.end && (s.on || s.otherwise !== undefined || s.on_retries_exhausted !== undefined || s.transfer)) {
      out.push({ path: ['steps', sid, 'end'], message: 'a terminal step (end:) hangs up after its prompt: it has no transitions' });
    }
    if (!step.listen && (s.on || s.on_retries_exhausted !== undefined || s.capture)) {
      out.push({ path: ['steps', sid, s.on ? 'on' : s.capture ? 'capture' : 'on_retries_exhausted'], message: 'a step that does not listen takes `otherwise` only' });
    }
    for (const { path, t } of edgesOf(sid, s, step)) {
      if (t.next === '$repeat') {
        if (!step.listen) out.push({ path: [...path, 'next'], message: '"repeat" on a step that does not listen would loop' });
        continue;
      }
      if (t.next !== undefined && !sc.steps[t.next]) out.push({ path: [...path, 'next'], message: `unknown step "${t.next}"` });
      if (t.next === undefined && !step.end) {
        if (t.outcome === undefined) out.push({ path, message: 'dead end: hangs up without an outcome (give it `next:` or `outcome:`)' });
        else hangsUp.push(sid);
      }
    }
    if ((step.onRetriesExhausted ?? step.otherwise).next === '$repeat') {
      out.push({ path: ['steps', sid, step.onRetriesExhausted ? 'on_retries_exhausted' : 'otherwise'], message: 'the transition taken when retries are exhausted cannot be "repeat"' });
    }
    if (step.listen && !f.technical) {
      // The opt-out must work wherever the bot listens (Code de la consommation L.223-1 and the DNC list).
      const stop = step.on.stop ?? step.otherwise;
      const key9 = step.dtmf?.['9'] === undefined ? DEFAULT_DTMF['9'] : step.dtmf['9'];
      if (!stop.effects?.includes('opt_out')) out.push({ path: ['steps', sid, 'on', 'stop'], message: 'a listening step must honour an opt-out: `stop` needs outcome opted_out' });
      else if (key9 !== 'stop') out.push({ path: ['steps', sid, 'on_dtmf', '9'], message: 'key 9 is the opt-out key on every listening step: it cannot be remapped' });
    }
  }
  if (out.some((i) => i.path[0] === 'start' || i.message.startsWith('unknown step'))) return out;

  // Reachability from the start, then: from every reachable step the call can end.
  const next = (sid: string) => edgesOf(sid, f.steps[sid]!, sc.steps[sid]!).map((e) => e.t.next).filter((n): n is string => n !== undefined && n !== '$repeat');
  const reach = new Set<string>([sc.start]);
  for (const queue = [sc.start]; queue.length; ) for (const n of next(queue.shift()!)) if (!reach.has(n)) reach.add(n), queue.push(n);
  for (const sid of Object.keys(sc.steps)) if (!reach.has(sid)) out.push({ path: ['steps', sid], message: `unreachable: no transition from "${sc.start}" leads here` });
  const ends = new Set<string>([...Object.keys(sc.steps).filter((s) => sc.steps[s]!.end), ...hangsUp]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const sid of Object.keys(sc.steps)) if (!ends.has(sid) && next(sid).some((n) => ends.has(n))) ends.add(sid), (grew = true);
  }
  for (const sid of reach) if (!ends.has(sid)) out.push({ path: ['steps', sid], message: 'dead end: no path from this step ever ends the call (an end: step or an outcome)' });

  // The first prompt says who calls, why, and that it is automated (lib/disclosure.ts), unless technical.
  const first = sc.steps[sc.start]!;
  if (!f.technical) {
    const identity = f.disclosure ?? ctx.shared.identity;
    const text = f.prompts[first.prompt] ?? ctx.shared.texts[first.prompt];
    if (!identity) out.push({ path: ['disclosure'], message: ctx.shared.identityError ?? 'who calls and why are unknown: add disclosure: { company, purpose }' });
    else if (text === undefined) out.push({ path: ['steps', sc.start, 'prompt'], message: `no text for prompt "${first.prompt}", so its disclosure cannot be checked (add it under prompts:)` });
    else for (const e of disclosureErrors(first.prompt, text, identity)) out.push({ path: f.prompts[first.prompt] ? ['prompts', first.prompt] : ['steps', sc.start, 'prompt'], message: e });
  }
  return out;
}

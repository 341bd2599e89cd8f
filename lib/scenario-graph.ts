// A scenario as a drawable graph, and how many calls took each of its edges (the dashboard's campaign page,
// GET /campaigns/:id/scenario). Pure: the caller reads the calls' turns (call_interactions) from the database.
import type { CallOutcome } from './outcomes';
import { decide, type Scenario, type StepEvent, type Transition } from './scenario';

/** An edge from one step to the next (`to` null: the bot hangs up), with the events that take it. */
export interface ScenarioEdge {
  from: string;
  to: string | null;
  /** Intents / 'silence', 'otherwise' (any other answer), 'retries_exhausted', 'end' (a terminal step), 'no_agent'. */
  on: string[];
  /** Outcomes the edge sets (several events may share an edge with different outcomes). */
  outcomes: CallOutcome[];
}

const key = (from: string, to: string | null) => `${from}\u0000${to ?? ''}`;

/** Every edge of the graph, one per (from, to) pair, in step order then first-mention order. */
export function scenarioEdges(s: Scenario): ScenarioEdge[] {
  const edges = new Map<string, ScenarioEdge>();
  const add = (from: string, t: Transition | undefined, on: string) => {
    if (!t) return;
    const to = t.next === '$repeat' ? from : t.next ?? null;
    const e = edges.get(key(from, to)) ?? { from, to, on: [], outcomes: [] };
    if (!e.on.includes(on)) e.on.push(on);
    if (t.outcome && !e.outcomes.includes(t.outcome)) e.outcomes.push(t.outcome);
    edges.set(key(from, to), e);
  };
  for (const step of Object.values(s.steps)) {
    if (step.end) {
      add(step.id, { outcome: step.end }, 'end');
      continue;
    }
    if (step.listen) {
      for (const [event, t] of Object.entries(step.on)) add(step.id, t, event);
      add(step.id, step.otherwise, 'otherwise');
      if (step.onRetriesExhausted) add(step.id, step.onRetriesExhausted, 'retries_exhausted');
    } else {
      add(step.id, step.otherwise, 'otherwise');
    }
    // A transfer step (live transfer of a lead) continues at its fallback when no agent answers.
    const transfer = (step as { transfer?: { onNoAgent?: string } }).transfer;
    if (transfer?.onNoAgent) add(step.id, { next: transfer.onNoAgent }, 'no_agent');
  }
  return [...edges.values()];
}

/** One answered turn of a call, as recorded (call_interactions; `next`/`repeat` from its metadata.decision). */
export interface RecordedTurn {
  step: string;
  intent: string | null;
  next?: string | null;
  repeat?: boolean;
}

export interface RecordedCall {
  outcome: string | null;
  turns: RecordedTurn[];
}

export interface EdgeTraffic extends ScenarioEdge {
  /** Calls that took this edge at least once. */
  calls: number;
  /** calls / the calls that reached `from` (null when none did). */
  share: number | null;
}

export interface ScenarioTraffic {
  /** Calls with at least one recorded turn (the others never reached the scenario). */
  calls: number;
  /** Per step, how many calls reached it. */
  steps: Record<string, number>;
  edges: EdgeTraffic[];
  /** Transitions recorded that the current graph does not have (the scenario changed since), per call. */
  unmatched: number;
}

/** Outcomes after which the bot did not play the rest of its steps: no edge beyond the last answer is inferred. */
const CUT_SHORT = new Set(['hangup', 'failed', 'machine']);

/**
 * Which edges each call took. Answered turns give their own edge; the steps that do not listen (a confirmation,
 * a goodbye) leave no turn, so their edges are inferred by following the graph after the last answer, unless the
 * call was cut short. A turn recorded without its decision is decided again from its intent.
 */
export function scenarioTraffic(s: Scenario, calls: RecordedCall[]): ScenarioTraffic {
  const edges = scenarioEdges(s);
  const index = new Map(edges.map((e, i) => [key(e.from, e.to), i]));
  const edgeCalls = edges.map(() => 0);
  const steps: Record<string, number> = Object.fromEntries(Object.keys(s.steps).map((id) => [id, 0]));
  let counted = 0;
  let unmatched = 0;
  for (const call of calls) {
    if (call.turns.length === 0) continue;
    counted++;
    const reached = new Set<string>([s.start]);
    const taken = new Set<number>();
    let bad = false;
    const take = (from: string, to: string | null) => {
      const i = index.get(key(from, to));
      if (i === undefined) bad = true;
      else taken.add(i);
      if (to !== null) reached.add(to);
    };
    const retries: Record<string, number> = {};
    let last: string | null = null;
    for (const t of call.turns) {
      reached.add(t.step);
      let next = t.next;
      let repeat = t.repeat;
      if (next === undefined && s.steps[t.step]) {
        const d = decide(s, t.step, (t.intent ?? 'silence') as StepEvent, retries[t.step] ?? 0);
        next = d.next;
        repeat = d.repeat;
      }
      if (repeat) retries[t.step] = (retries[t.step] ?? 0) + 1;
      const to = repeat ? t.step : next ?? null;
      take(t.step, to);
      last = to;
    }
    // Follow the steps that play without listening, to the hang-up.
    const seen = new Set<string>();
    while (last !== null && !CUT_SHORT.has(call.outcome ?? '') && !seen.has(last)) {
      seen.add(last);
      const step: Scenario['steps'][string] | undefined = s.steps[last];
      if (!step || step.listen) break;
      const to: string | null = step.end ? null : step.otherwise.next === '$repeat' ? last : step.otherwise.next ?? null;
      take(last, to);
      last = to;
    }
    for (const i of taken) edgeCalls[i]! += 1;
    for (const id of reached) if (id in steps) steps[id]! += 1;
    if (bad) unmatched++;
  }
  return {
    calls: counted, steps, unmatched,
    edges: edges.map((e, i) => ({ ...e, calls: edgeCalls[i]!, share: steps[e.from] ? Math.round((edgeCalls[i]! / steps[e.from]!) * 10_000) / 10_000 : null })),
  };
}

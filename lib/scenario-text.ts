// A scenario graph as text, for `minibot scenario show`: one block per step (prompt, how it listens, what it
// keeps) and one line per transition, start first then in the file's order. Pure.
import { DEFAULT_DTMF, type Scenario, type Transition } from './scenario';

function target(t: Transition): string {
  const to = t.next === undefined ? '(hang up)' : t.next === '$repeat' ? '(repeat)' : t.next;
  const extra = [t.outcome ? `outcome ${t.outcome}` : '', ...(t.effects ?? []).filter((e) => !(e === 'opt_out' && t.outcome === 'opted_out') && !(e === 'note_callback' && t.outcome === 'callback') && !(e === 'refusal' && t.outcome === 'not_interested'))].filter(Boolean);
  return extra.length ? `${to}  [${extra.join(', ')}]` : to;
}

export function scenarioText(s: Scenario, prompts: Record<string, string> = {}): string {
  const lines: string[] = [`scenario ${s.name}${s.technical ? ' (technical)' : ''}: ${s.description}`, `start: ${s.start}`, ''];
  const ids = [s.start, ...Object.keys(s.steps).filter((k) => k !== s.start)];
  for (const id of ids) {
    const st = s.steps[id]!;
    const how = st.end ? `end: ${st.end}` : st.listen
      ? `listens ${st.timeoutMs / 1000} s, ${st.maxRetries} repeat(s), barge-in ${st.bargeIn.enabled ? `after ${st.bargeIn.minSpeechMs} ms` : 'off'}`
      : 'plays, does not listen';
    lines.push(`${id}  prompt ${st.prompt}  (${how})`);
    if (prompts[st.prompt]) lines.push(`    « ${prompts[st.prompt]} »`);
    if (st.capture) lines.push(`    keeps the answer as "${st.capture.field}" (${st.capture.kind})`);
    if (st.transfer) lines.push(`    transfer to an agent, hold prompt ${st.transfer.holdPrompt}, ${st.transfer.timeoutMs / 1000} s, no agent -> ${st.transfer.onNoAgent}`);
    if (st.listen) {
      const keys = { ...DEFAULT_DTMF, ...st.dtmf };
      const k = Object.entries(keys).filter(([, v]) => v).map(([d, v]) => `${d}=${v}`).join(' ');
      if (k) lines.push(`    keys ${k}`);
      for (const [ev, t] of Object.entries(st.on)) lines.push(`    ${ev.padEnd(10)} -> ${target(t!)}`);
      lines.push(`    ${'otherwise'.padEnd(10)} -> ${target(st.otherwise)}`);
      if (st.onRetriesExhausted) lines.push(`    ${'exhausted'.padEnd(10)} -> ${target(st.onRetriesExhausted)}`);
    } else if (!st.end) {
      lines.push(`    ${'then'.padEnd(10)} -> ${target(st.otherwise)}`);
    }
  }
  return lines.join('\n') + '\n';
}

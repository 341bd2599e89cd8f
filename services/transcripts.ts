// Call transcripts: the turn-by-turn conversation of one call assembled from its CallInteraction rows (what
// the bot said — the prompt's French text from audio/prompts.json —, what the callee said as recognised,
// the intent, barge-in, latencies), with the call's outcome, AMD verdict and recording. The seed's
// transcript service; the API serves it for a call record (by call id or workflow id).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PrismaClient } from '../prisma/client';
import { config } from '../runtime/config';

export interface TranscriptTurn {
  turn: number;
  step: string;
  prompt: string | null;
  /** The text of the prompt the bot played (null when the prompt file has no text, e.g. a recorded voice). */
  botText: string | null;
  /** Whether the bot's prompt was cut by the callee, and how much of it was heard (ms). */
  promptInterrupted: boolean;
  promptPlayedMs: number | null;
  /** What the callee said, as recognised (null: silence). */
  calleeText: string | null;
  intent: string | null;
  intentConfidence: number | null;
  bargeIn: boolean;
  bargeInLatencyMs: number | null;
  asrLatencyMs: number | null;
  totalLatencyMs: number | null;
  startedAt: string;
  endedAt: string | null;
}

export interface CallTranscript {
  callId: string;
  workflowId: string;
  campaignId: string;
  contactId: string;
  phone: string;
  attempt: number;
  outcome: string | null;
  amd: { result: string | null; cause: string | null };
  hangupCause: string | null;
  dialedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  recording: { path: string } | null;
  turns: TranscriptTurn[];
}

let promptTexts: Map<string, string> | undefined;

/** Prompt name → French text, from audio/prompts.json (AUDIO_DIR). */
export function promptText(name: string): string | null {
  if (!promptTexts) {
    promptTexts = new Map();
    try {
      const j = JSON.parse(readFileSync(resolve(config().AUDIO_DIR, 'prompts.json'), 'utf8')) as { prompts?: { name: string; text: string }[] };
      for (const p of j.prompts ?? []) promptTexts.set(p.name, p.text);
    } catch {
      /* operator's own recordings without texts: turns carry the prompt name only */
    }
  }
  return promptTexts.get(name) ?? null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The transcript of a call by its id (uuid) or its workflow id; null when there is no such call. */
export async function callTranscript(prisma: PrismaClient, idOrWorkflowId: string): Promise<CallTranscript | null> {
  const call = await prisma.call.findFirst({
    where: UUID.test(idOrWorkflowId) ? { id: idOrWorkflowId } : { workflowId: idOrWorkflowId },
    include: { interactions: { orderBy: { turn: 'asc' } } },
  });
  if (!call) return null;
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    callId: call.id,
    workflowId: call.workflowId,
    campaignId: call.campaignId,
    contactId: call.contactId,
    phone: call.phone,
    attempt: call.attempt,
    outcome: call.outcome,
    amd: { result: call.amdResult, cause: call.amdCause },
    hangupCause: call.hangupCause,
    dialedAt: call.dialedAt.toISOString(),
    answeredAt: iso(call.answeredAt),
    endedAt: iso(call.endedAt),
    recording: call.recordingPath ? { path: call.recordingPath } : null,
    turns: call.interactions.map((i) => {
      const meta = (i.streamingMetadata ?? {}) as { promptInterrupted?: boolean; promptPlayedMs?: number | null };
      return {
        turn: i.turn,
        step: i.step,
        prompt: i.prompt,
        botText: i.prompt ? promptText(i.prompt) : null,
        promptInterrupted: meta.promptInterrupted ?? false,
        promptPlayedMs: meta.promptPlayedMs ?? null,
        calleeText: i.transcript,
        intent: i.intent,
        intentConfidence: i.intentConfidence,
        bargeIn: i.bargeInDetected,
        bargeInLatencyMs: i.bargeInLatencyMs,
        asrLatencyMs: i.asrLatencyMs,
        totalLatencyMs: i.totalLatencyMs,
        startedAt: i.startedAt.toISOString(),
        endedAt: iso(i.endedAt),
      };
    }),
  };
}

/** Plain-text rendering (one line per speaker turn), for exports and the dashboard. */
export function formatTranscript(t: CallTranscript): string {
  const lines = [`Appel ${t.workflowId} — ${t.phone} — résultat: ${t.outcome ?? 'en cours'} — AMD: ${t.amd.result ?? '-'}`];
  for (const turn of t.turns) {
    const cut = turn.promptInterrupted ? ` [interrompu après ${turn.promptPlayedMs ?? 0} ms]` : '';
    lines.push(`[${turn.turn}] Bot (${turn.prompt ?? turn.step}): ${turn.botText ?? '(prompt ' + turn.prompt + ')'}${cut}`);
    lines.push(`[${turn.turn}] Contact: ${turn.calleeText ?? '(silence)'}${turn.intent ? ` → ${turn.intent}` : ''}${turn.bargeIn ? ' (barge-in)' : ''}`);
  }
  if (t.recording) lines.push(`Enregistrement: ${t.recording.path}`);
  return lines.join('\n');
}

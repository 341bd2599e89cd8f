// The AMD gate: the stream AMD listens from the answer; the first prompt waits until the callee's "Allô ?"
// ends (the gate, media/amd.ts), not for the verdict; a MACHINE verdict stops a prompt already playing; the
// hybrid verdict (Asterisk's AMD() + the stream evidence, AMD_MODE=asterisk) goes to the workflow once; on a
// machine, prompts wait for the beep (voicemail gate).
import { StreamAmd, combineAmd, type StreamVerdict } from '../../media/amd';
import type { AstCall, QueuedPrompt } from './call';
import type { AdapterContext } from './context';
import { logger } from '../../runtime/logger';

// The verdicts are the amd component's lines (AMD_LOG_FILE, the guide's logs/amd.log), each with its call id.
let amdLogger: ReturnType<typeof logger> | undefined;
const amdLog = () => (amdLogger ??= logger('amd'));

/** A media frame as the stream AMD takes it (whatever the media server calls its frame type). */
export type AmdInput = Parameters<StreamAmd['push']>[0];

/** The call's media connection is up: the stream AMD starts, and the gate opens at once when Asterisk already decided. */
export function onMediaStarted(ctx: AdapterContext, c: AstCall, now: number): void {
  const { o } = ctx;
  c.metrics.mediaAt = now;
  if (o.amdMode === 'asterisk' && c.asteriskAmd && ['HUMAN', 'MACHINE'].includes(c.asteriskAmd.status)) {
    // Asterisk already listened to the greeting: speak at once.
    c.streamAmd = new StreamAmd(now, o.amd);
    if (c.asteriskAmd.status === 'MACHINE') c.streamAmd.markMachine(now);
    openGate(ctx, c, 'asterisk-amd');
  } else {
    // Stream AMD from the answer (the greeting starts then).
    c.streamAmd = new StreamAmd(o.amdMode === 'asterisk' ? now : c.metrics.answeredAt ?? now, o.amd);
    if (o.amdMode === 'asterisk') openGate(ctx, c, 'asterisk-amd');
  }
}

export function onMediaFrame(ctx: AdapterContext, c: AstCall, f: AmdInput): void {
  const amd = c.streamAmd;
  if (!amd) return;
  const v = amd.push(f);
  if (v) onStreamVerdict(ctx, c, v);
  if (!c.gateOpen && amd.gate) openGate(ctx, c, amd.gate.reason);
  if (c.verdict === 'machine' && c.queue.length && amd.voicemailGate !== null) drain(ctx, c);
}

/** Deadline rules of the stream AMD when media frames stall (called every 250 ms). */
export function tick(ctx: AdapterContext, now: number): void {
  for (const c of ctx.calls.all()) if (c.streamAmd && !c.amdSent) onStreamVerdict(ctx, c, c.streamAmd.tick(now));
}

function onStreamVerdict(ctx: AdapterContext, c: AstCall, v: StreamVerdict | null): void {
  if (!v) return;
  amdLog().debug({ callId: c.id, stream: { status: v.status, cause: v.cause, afterMs: v.afterMs } }, 'stream AMD verdict');
  maybeSendAmd(ctx, c, v);
}

/** Sends the hybrid verdict once it can be decided (Asterisk's, when it runs, and the stream's). */
export function maybeSendAmd(ctx: AdapterContext, c: AstCall, stream: StreamVerdict | null): void {
  const { o } = ctx;
  if (c.amdSent || o.amdMode === 'off') return;
  const h = combineAmd(o.amdMode === 'asterisk' ? c.asteriskAmd ?? { status: 'NOTSURE', cause: '' } : null, stream ?? c.streamAmd?.verdict ?? null);
  if (!h) return;
  c.amdSent = true;
  c.verdict = h.verdict;
  const decidedAt = Date.now();
  const evidence = c.streamAmd?.evidence() ?? null;
  c.metrics.amd = { verdict: h.verdict, cause: h.cause, source: h.source, decidedAt, evidence };
  if (h.verdict === 'machine') {
    c.streamAmd?.markMachine(c.streamAmd.verdict?.at ?? decidedAt);
    // The hello may have started in a pause of the greeting (the gate does not wait for the verdict): stop it now
    // rather than after the workflow's round trip; its playbackFinished (interrupted) goes out as for a barge-in.
    if (c.metrics.firstPromptAt !== null && c.mediaReady && ctx.media.hasCall(c.id)) {
      void ctx.media.stopPlayback(c.id).catch((err) => ctx.log.warn({ callId: c.id, err: (err as Error).message }, 'could not stop the prompt on a machine'));
    }
  }
  amdLog().info({ callId: c.id, verdict: h.verdict, cause: h.cause, evidence, afterAnswerMs: c.metrics.answeredAt ? decidedAt - c.metrics.answeredAt : null }, 'AMD');
  ctx.report('amdResult', c.id, () => o.sink.amdResult(c.id, { verdict: h.verdict, cause: h.cause, decidedAt }));
}

function openGate(ctx: AdapterContext, c: AstCall, reason: string): void {
  if (c.gateOpen) return;
  c.gateOpen = true;
  c.metrics.gateReason = reason;
  drain(ctx, c);
}

/** Starts the queued prompts that may start now. */
export function drain(ctx: AdapterContext, c: AstCall): void {
  if (!c.gateOpen || !c.mediaReady || c.phase === 'ending') return;
  if (c.verdict === 'machine' && c.streamAmd && c.streamAmd.voicemailGate === null) return; // wait for the beep
  const q = c.queue.splice(0);
  for (const p of q) void startPrompt(ctx, c, p);
}

async function startPrompt(ctx: AdapterContext, c: AstCall, p: QueuedPrompt): Promise<void> {
  const { media } = ctx;
  try {
    media.setTurn(c.id, p.req.turn);
    if (p.req.minSpeechMs > 0) media.setBargeIn(c.id, { minSpeechMs: p.req.minSpeechMs });
    await media.play(c.id, { promptId: p.req.promptId, turn: p.req.turn, wavPath: p.wavPath, bargeIn: p.req.bargeIn });
    c.metrics.firstPromptAt ??= Date.now();
  } catch (err) {
    ctx.log.warn({ callId: c.id, promptId: p.req.promptId, err: (err as Error).message }, 'prompt could not start');
    ctx.report('playbackFinished', c.id, () =>
      ctx.o.sink.playbackFinished(c.id, { promptId: p.req.promptId, turn: p.req.turn, interrupted: true, playedMs: 0 }),
    );
  }
}

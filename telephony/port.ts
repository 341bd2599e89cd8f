// The telephony port: what the call workflow needs from telephony. Two implementations: the simulated
// backend (telephony/simulated.ts: demo, load tests, CI) and the Asterisk ARI + media worker backend.
// Call progress comes back as events through a CallEventSink (lib/call-events.ts), which in production
// signals the call workflow. Nothing in the workflows knows which backend runs.
import type { PromptName } from '../lib/scenario';

export interface OriginateRequest {
  /** The call workflow id: the key of everything about this call. */
  callId: string;
  phone: string;
  callerId?: string;
  /** Give up ringing after this long (the backend reports hungUp no_answer). */
  ringTimeoutMs: number;
  record?: boolean;
}

export interface PlayRequest {
  callId: string;
  promptId: string;
  prompt: PromptName;
  /** The scenario playing it: its own prompts/<prompt>.wav wins over the shared library's (services/scenarios.ts). */
  scenario?: string;
  turn: number;
  /** The callee may interrupt this prompt. */
  bargeIn: boolean;
  minSpeechMs: number;
}

export interface TransferRequest {
  callId: string;
  /** The agent destination: {agent} of AGENT_DIAL_TEMPLATE (the campaign's `agent`). */
  agent: string;
  /** Give up on the agent leg after this long. */
  timeoutMs: number;
}

export interface TransferResult {
  /** An agent answered and is bridged with the callee (the bot left the call). */
  answered: boolean;
  /** The agent leg's endpoint (as dialed) and its channel id. */
  agentLeg: string;
  startedAt: number;
  /** When the agent answered (null: nobody did; see `cause`). */
  answeredAt: number | null;
  /** Why nobody answered: no_answer, busy, failed, callee_gone, no_agent_route. */
  cause?: string;
}

export interface TelephonyPort {
  /** Starts dialing; answered / hungUp arrive as events. Idempotent per callId. */
  originate(req: OriginateRequest): Promise<void>;
  /** Starts playing a prompt; playbackFinished arrives as an event. Idempotent per promptId. */
  play(req: PlayRequest): Promise<void>;
  /** Stops the prompt playing now, if any; returns how much of it was heard. */
  stopPlayback(callId: string): Promise<{ playedMs: number } | null>;
  /**
   * Rings the agent destination while the callee stays on the call (the workflow plays the hold prompt); when
   * the agent answers, bridges callee and agent and takes the bot off the call (a recording goes on). Resolves
   * when the agent answered or the attempt gave up (timeout, refusal, the callee hung up). Idempotent per callId.
   * After a bridged transfer, the call ends when either side hangs up: hungUp arrives as usual.
   */
  transfer(req: TransferRequest): Promise<TransferResult>;
  /** Hangs up (idempotent; no-op when the call is already gone). */
  hangup(callId: string): Promise<void>;
  /** Calls this backend currently holds (for reconciliation and health). */
  activeCalls(): string[];
  /**
   * Several workers on one telephony server (one Asterisk): a name of that server, shared by its workers, and
   * the release of a call another worker of it held and lost with its process (the line may still be up).
   * Backends whose calls die with their process (simulated) have neither.
   */
  site?: string;
  release?(callId: string): Promise<void>;
}

// What the parts of the Asterisk backend share: its options, the ARI connection, the media server, the
// registry of calls, the logger, and the two moves every part may need (report an event, end a call).
import type { Logger } from 'pino';
import type { CallEventSink, HangupCause } from '../../lib/call-events';
import type { MediaServer, MediaServerOptions } from '../../media/server';
import type { StreamAmdOptions } from '../../media/amd';
import type { AriConnection, AriCredentials } from '../asterisk-ari';
import type { AstCall, CallRegistry } from './call';

export type AmdMode = 'stream' | 'asterisk' | 'off';

export interface AsteriskTelephonyOptions {
  /** Where call events go (production: temporalSignalSink). */
  sink: CallEventSink;
  ari: AriCredentials;
  /** The media server this adapter owns (its sink is the adapter's). */
  media: Omit<MediaServerOptions, 'sink' | 'observer'>;
  /** The websocket_client.conf connection that reaches that media server (default minibot-media). */
  mediaConnection?: string;
  /** Contact phone (E.164) → Asterisk dial endpoint. */
  dial: (phone: string) => string;
  /** Folder of the prompt WAVs (<prompt>.wav). */
  audioDir: string;
  /** The operators' scenarios folder (SCENARIOS_DIR), where a scenario's own prompts live. */
  scenariosDir?: string;
  amdMode: AmdMode;
  amd?: Partial<StreamAmdOptions>;
  callerId?: string;
  /** The campaign's agent ({agent}) → the agent leg's endpoint (AGENT_DIAL_TEMPLATE); unset = no transfers. */
  agentDial?: (agent: string) => string;
  /** Dialplan context that runs AMD() then Stasis (AMD_MODE=asterisk). */
  amdContext?: string;
  recording?: {
    dir: string;
    /** Whether this call is recorded (e.g. its campaign's recordCalls) when the originate request does not say. */
    shouldRecord?: (callId: string) => Promise<boolean>;
    /** The recording of a call was saved (e.g. store its path on the call's record). */
    onSaved?: (callId: string, path: string) => Promise<void>;
  };
  /** How long play() waits for the call's media connection (ms). */
  mediaWaitMs?: number;
  log?: Logger;
}

export interface AdapterContext {
  readonly o: AsteriskTelephonyOptions;
  readonly ari: AriConnection;
  readonly media: MediaServer;
  readonly calls: CallRegistry;
  readonly log: Logger;
  /** Delivers one event to the sink without waiting; a failure is logged. */
  report(what: string, callId: string, fn: () => Promise<void>): void;
  /** Ends a call on every path, once (teardown.ts). */
  teardown(c: AstCall, cause: HangupCause, detail: string, hangupCall?: boolean): Promise<void>;
}

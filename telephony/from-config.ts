// The telephony port chosen by configuration (TELEPHONY_BACKEND), for every entry point: the simulated backend
// (demo, load tests, CI) or Asterisk (ARI adapter + media server + hybrid AMD). The entry point gives what only
// it has (the event sink, the database for the per-campaign recording decision, test overrides); the rest comes
// from the configuration.
import { resolve } from 'node:path';
import type { CallEventSink } from '../lib/call-events';
import type { Config } from '../runtime/config';
import type { PrismaClient } from '../prisma/client';
import { fromConfig as asrFromConfig, type AsrEngineFactory } from '../media/asr';
import { ariCredentials } from '../runtime/ari-credentials';
import { AsteriskTelephony, agentDialPlan, dialPlan } from './asterisk';
import { SimulatedTelephony, promptDurationsFrom } from './simulated';

export type Telephony =
  | { backend: 'simulated'; port: SimulatedTelephony; start(): Promise<void>; stop(): Promise<void> }
  | { backend: 'asterisk'; port: AsteriskTelephony; start(): Promise<void>; stop(): Promise<void> };

export interface TelephonyDeps {
  sink: CallEventSink;
  /** The Asterisk backend asks the campaign whether to record a call and stores the recording's path. */
  prisma?: PrismaClient;
  /** Overrides the dial plan (tests); default ASTERISK_DIAL_TEMPLATE + ASTERISK_DIAL_MAP. */
  dial?: (phone: string) => string;
  /** Overrides the ASR (undefined = Vosk from VOSK_MODEL_PATH, null = none). */
  asr?: AsrEngineFactory | null;
}

export function telephonyFromConfig(cfg: Config, deps: TelephonyDeps): Telephony {
  if (cfg.TELEPHONY_BACKEND === 'simulated') {
    const port = new SimulatedTelephony(deps.sink, { speed: cfg.SIM_SPEED, seed: cfg.SIM_SEED, promptMs: promptDurationsFrom(cfg.AUDIO_DIR) });
    return { backend: 'simulated', port, start: async () => undefined, stop: async () => undefined };
  }
  const prisma = deps.prisma;
  const port = new AsteriskTelephony({
    sink: deps.sink,
    ari: ariCredentials(cfg),
    media: { host: cfg.AUDIOFORK_HOST, port: cfg.AUDIOFORK_PORT, asr: deps.asr !== undefined ? deps.asr : asrFromConfig(cfg) },
    mediaConnection: cfg.ASTERISK_MEDIA_CONNECTION,
    dial: deps.dial ?? dialPlan(cfg.ASTERISK_DIAL_TEMPLATE, cfg.ASTERISK_DIAL_MAP ?? {}),
    audioDir: resolve(cfg.AUDIO_DIR),
    ...(cfg.SCENARIOS_DIR ? { scenariosDir: resolve(cfg.SCENARIOS_DIR) } : {}),
    amdMode: cfg.AMD_ENABLED ? cfg.AMD_MODE : 'off',
    amd: {
      humanSpeechMs: cfg.AMD_HUMAN_SPEECH_THRESHOLD * 1000,
      machineSpeechMs: cfg.AMD_MACHINE_SPEECH_THRESHOLD * 1000,
      afterGreetingSilenceMs: cfg.AMD_SILENCE_THRESHOLD * 1000,
      beep: cfg.AMD_BEEP_DETECTION_ENABLED,
      gateSilenceMs: cfg.AMD_FIRST_PROMPT_SILENCE_MS,
    },
    callerId: cfg.SIP_TRUNK_CALLER_ID,
    ...(cfg.AGENT_DIAL_TEMPLATE ? { agentDial: agentDialPlan(cfg.AGENT_DIAL_TEMPLATE) } : {}),
    recording: {
      dir: resolve(cfg.RECORDINGS_DIR),
      // The campaign decides (campaigns.record_calls); the call row exists before originate (beginCall).
      shouldRecord: async (callId) =>
        !!prisma &&
        ((await prisma.call.findUnique({ where: { workflowId: callId }, select: { campaign: { select: { recordCalls: true } } } }))?.campaign
          .recordCalls ?? false),
      onSaved: async (callId, path) => {
        await prisma?.call.updateMany({ where: { workflowId: callId }, data: { recordingPath: path } });
      },
    },
  });
  return { backend: 'asterisk', port, start: () => port.start(), stop: () => port.stop() };
}

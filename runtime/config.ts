// The one config module: every environment variable MiniBot reads is declared, parsed and validated here,
// once. Names follow the MiniBotPanel v2 guide where it has one. Anything invalid fails at start with an
// error naming the variable and the reason.
import { z } from 'zod';
import { parseCodecKeys } from '../lib/codec-keys';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const port = z.coerce.number().int().min(0).max(65535);
const ms = z.coerce.number().int().min(0);
const seconds = z.coerce.number().positive();

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .default('info'),
  // Log files (the guide's logs/robot.log, logs/streaming.log, logs/amd.log): stdout always gets every line; when
  // set, LOG_FILE also gets every line of the process, STREAMING_LOG_FILE the media server's and its calls'
  // (component media), AMD_LOG_FILE the answering-machine detection's (component amd). JSON lines, appended;
  // reopened on SIGHUP (logrotate: rename, then `kill -HUP`, or copytruncate). Unset = stdout only.
  LOG_FILE: z.string().optional(),
  STREAMING_LOG_FILE: z.string().optional(),
  AMD_LOG_FILE: z.string().optional(),

  // Tracing (OpenTelemetry, runtime/tracing.ts): the API and the workers export spans (launch request → campaign
  // workflow → call workflows → activities, one trace) over OTLP/HTTP to this collector base URL (/v1/traces is
  // appended), e.g. http://127.0.0.1:4318. Unset = no tracing code is loaded and nothing is exported.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  // OTLP/HTTP encoding of the spans: http/protobuf (the OTLP default) or http/json.
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
  // How long one export may take (ms) before its spans are dropped.
  OTEL_EXPORTER_OTLP_TIMEOUT: z.coerce.number().int().min(100).max(600_000).default(10_000),
  // service.name of the spans: <OTEL_SERVICE_NAME>-api and <OTEL_SERVICE_NAME>-worker.
  OTEL_SERVICE_NAME: z.string().regex(/^[A-Za-z0-9_.-]{1,60}$/, 'letters, digits, ., - and _ only').default('minibot'),
  // Temporal SDK metrics (temporal_* series: task latencies, slots, polls, sticky cache…) served for Prometheus at
  // http://<TEMPORAL_METRICS_HOST>:<port>/metrics by each worker process; unset = none. One port per worker
  // process on a host (the API's own figures are its GET /metrics).
  TEMPORAL_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  TEMPORAL_METRICS_HOST: z.string().default('127.0.0.1'),

  // Database (Postgres through Prisma). Empty in dev: the embedded cluster started by `npm run dev:up` is used.
  DATABASE_URL: z.string().url().optional(),

  // Temporal
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('minibot'),
  TEMPORAL_UI_URL: z.string().url().optional(),
  TEMPORAL_CLI: z.string().optional(),
  // Payload encryption (AES-256-GCM, lib/payload-codec.ts): comma-separated <key id>:<base64 32-byte key>;
  // the first encrypts, all decrypt (rotate by putting a new key first and keeping the old ones while histories
  // need them). Required in production; unset in development = payloads in clear (the test runner sets a random
  // key, so the test tier runs encrypted). New key: `node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`.
  TEMPORAL_CODEC_KEYS: z
    .string()
    .superRefine((v, ctx) => {
      try {
        parseCodecKeys(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    })
    .optional(),
  // Origins allowed to call the codec endpoint (/codec/encode, /codec/decode) from a browser, comma-separated;
  // default: the origin of TEMPORAL_UI_URL (the Temporal Web UI decoding payloads for operators).
  TEMPORAL_CODEC_CORS_ORIGINS: z.string().optional(),
  // The codec endpoint the dev stack's Web UI is started with (`temporal server start-dev --ui-codec-endpoint`),
  // e.g. http://127.0.0.1:8000/codec; unset = none.
  TEMPORAL_UI_CODEC_ENDPOINT: z.string().url().optional(),
  // Secure connection to Temporal for every client and worker: server TLS (TEMPORAL_TLS=true, implied by any of
  // the files below or by an API key), mTLS client certificate and key (PEM files, both or neither), the CA of
  // the server's certificate (PEM file; default: the system's roots) and the TLS server name (SNI) to check.
  TEMPORAL_TLS: bool.optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  // API key of the Temporal namespace (Temporal Cloud), sent as a bearer token over TLS.
  TEMPORAL_API_KEY: z.string().min(8, 'must be at least 8 characters').optional(),

  // API
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: port.default(8000),
  API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  // Requests per minute per client address (express-rate-limit).
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),

  // Asterisk ARI
  ARI_URL: z.string().url().default('http://localhost:8088'),
  ARI_USERNAME: z.string().default('robot'),
  ARI_PASSWORD: z.string().optional(),
  // The Stasis app this worker registers. Asterisk gives an app name to one websocket only (a second
  // connection under the same name takes its events over), so each media worker on one Asterisk needs its own.
  ARI_APP: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/, 'letters, digits, - and _ only').default('minibot'),
  // The websocket_client.conf connection through which Asterisk reaches this worker's media server
  // (AUDIOFORK_HOST:AUDIOFORK_PORT). Each media worker on one Asterisk needs its own (see ASTERISK_MEDIA_WORKERS).
  ASTERISK_MEDIA_CONNECTION: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/, 'letters, digits, - and _ only').default('minibot-media'),

  // Asterisk instance rendered from asterisk-configs/ (scripts/asterisk-render.ts). The HTTP/ARI bind address
  // and port are taken from ARI_URL.
  ASTERISK_SIP_BIND: z.string().default('127.0.0.1'),
  ASTERISK_SIP_PORT: port.default(5060),
  ASTERISK_RTP_START: port.default(10000),
  ASTERISK_RTP_END: port.default(20000),
  // Loopback test callees reachable over SIP (endpoint minibot-loop); default: on except in production.
  ASTERISK_TEST_ENDPOINTS: bool.optional(),
  // Further media workers served by this Asterisk, besides the one at AUDIOFORK_HOST:AUDIOFORK_PORT (connection
  // minibot-media): comma-separated <connection>=<host>:<port>, each rendered as a websocket_client.conf connection;
  // that worker sets ASTERISK_MEDIA_CONNECTION=<connection>, AUDIOFORK_PORT=<port> and an ARI_APP of its own.
  ASTERISK_MEDIA_WORKERS: z
    .string()
    .transform((v, ctx) => {
      const out: { connection: string; host: string; port: number }[] = [];
      for (const item of v.split(',').map((x) => x.trim()).filter(Boolean)) {
        const m = /^([A-Za-z0-9_-]{1,60})=([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(item);
        if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535 || m[1] === 'minibot-media') {
          ctx.addIssue({ code: 'custom', message: `"${item}": expected <connection>=<host>:<port>, the connection not minibot-media` });
          return z.NEVER;
        }
        out.push({ connection: m[1]!, host: m[2]!, port: Number(m[3]) });
      }
      return out;
    })
    .optional(),
  // Carrier SIP trunk (pjsip.conf [carrier]); rendered only when SIP_TRUNK_HOST is set.
  SIP_TRUNK_HOST: z.string().optional(),
  SIP_TRUNK_PORT: port.default(5060),
  SIP_TRUNK_USERNAME: z.string().optional(),
  SIP_TRUNK_PASSWORD: z.string().optional(),
  SIP_TRUNK_FROM_DOMAIN: z.string().optional(),
  // Number presented on calls unless the campaign has its own caller_id. A commercial campaign on real telephony
  // refuses to launch unless it lies in ARCEP's canvassing ranges (0162, 0163, 0270, 0271, 0377, 0378, 0424,
  // 0425, 0568, 0569, 0948, 0949, 09475-09479; decision 2022-1583, lib/caller-id.ts).
  SIP_TRUNK_CALLER_ID: z.string().optional(),
  // Carrier SIP trunk (pjsip.conf [carrier]); rendered only when SIP_TRUNK_HOST is set.
  SIP_TRUNK_REGISTER: bool.default(false),
  SIP_TRUNK_PUBLIC_IP: z.string().optional(),
  // Test harness: chroot location (default <repo>/.cache/asterisk-root, also read by scripts/asterisk-*.sh) and
  // permission to skip the Asterisk tier when that chroot is not installed.
  MINIBOT_ASTERISK_ROOT: z.string().optional(),
  MINIBOT_SKIP_ASTERISK: bool.default(false),

  // Telephony backend: the simulated one (demo, CI) or Asterisk.
  TELEPHONY_BACKEND: z.enum(['simulated', 'asterisk']).default('simulated'),
  // Simulated telephony: time compression (10 = ten times real time) and the seed of its draws.
  SIM_SPEED: z.coerce.number().positive().max(1000).default(1),
  SIM_SEED: z.string().default(''),
  // This worker process's id (its telephony task queue is <TEMPORAL_TASK_QUEUE>-telephony-<id>); random if unset.
  WORKER_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, - and _ only').optional(),

  // Vosk ASR
  VOSK_MODEL_PATH: z.string().optional(),
  VOSK_SAMPLE_RATE: z.coerce.number().pipe(z.union([z.literal(8000), z.literal(16000)])).default(16000),
  // `minibot asr install`: where the models are downloaded from (alphacephei's official models site; a mirror or
  // a local server in tests) and the folder they are unpacked into.
  VOSK_MODELS_URL: z.string().url().default('https://alphacephei.com/vosk/models'),
  VOSK_MODELS_DIR: z.string().default('models'),

  // Ollama NLP (optional: the embedded intent classifier works alone)
  OLLAMA_URL: z.string().url().optional(),
  OLLAMA_MODEL: z.string().default('phi3:mini'),
  OLLAMA_TIMEOUT: seconds.default(10),
  INTENT_LLM_THRESHOLD: z.coerce.number().min(0).max(1).default(0.6),

  // Media server (chan_websocket endpoint; the guide's AudioFork names are kept)
  AUDIOFORK_HOST: z.string().default('127.0.0.1'),
  AUDIOFORK_PORT: port.default(8765),

  // Barge-in and latency targets (ms)
  BARGE_IN_ENABLED: bool.default(true),
  TARGET_BARGE_IN_LATENCY: ms.default(150),
  TARGET_ASR_LATENCY: ms.default(400),
  TARGET_INTENT_LATENCY: ms.default(600),
  TARGET_TOTAL_LATENCY: ms.default(1000),

  // Hybrid AMD (seconds, as in the guide)
  AMD_ENABLED: bool.default(true),
  AMD_MACHINE_SPEECH_THRESHOLD: seconds.default(2.8),
  AMD_HUMAN_SPEECH_THRESHOLD: seconds.default(1.2),
  AMD_SILENCE_THRESHOLD: seconds.default(0.8),
  AMD_BEEP_DETECTION_ENABLED: bool.default(true),
  // Where AMD runs: `stream` (the media worker decides from the audio while the first prompt already waits for
  // the callee's "Allô ?" to end; Asterisk's AMD() skipped), or `asterisk` (AMD() in the dialplan first, then
  // the stream settles NOTSURE). See telephony/asterisk.ts and bench/asterisk-amd.ts for the figures.
  AMD_MODE: z.enum(['stream', 'asterisk']).default('stream'),
  // Silence after answer (nobody said "Allô ?") before the first prompt starts anyway (ms): with media setup and
  // the line, a callee who says nothing hears the hello ~1.2-1.4 s after answering (bench:amd).
  AMD_FIRST_PROMPT_SILENCE_MS: ms.default(1500),

  // VAD
  VAD_MODE: z.coerce.number().int().min(0).max(3).default(2),
  VAD_FRAME_DURATION: z.coerce.number().pipe(z.union([z.literal(10), z.literal(20), z.literal(30)])).default(20),

  // Media worker tuning (media/): barge-in thresholds (defaults; each scenario step can override them),
  // end-of-utterance silence and where Vosk runs.
  BARGE_IN_FLUSH_AFTER_MS: ms.default(40),
  BARGE_IN_MIN_SPEECH_MS: ms.default(350),
  BARGE_IN_MIN_ENERGY_DBFS: z.coerce.number().max(0).default(-45),
  BARGE_IN_ECHO_MARGIN_DB: z.coerce.number().default(-6),
  VAD_END_SILENCE_MS: ms.default(220),
  ASR_MODE: z.enum(['worker', 'inline']).default('worker'),
  // ASR worker threads. Unset: one per core of the machine, read by the media worker when it starts
  // (media/asr.ts fromConfig; this module stays free of machine reads).
  ASR_THREADS: z.coerce.number().int().min(1).max(64).optional(),

  // Call timing (ms)
  CALL_NO_ANSWER_TIMEOUT_MS: ms.default(30_000),
  CALL_AMD_TIMEOUT_MS: ms.default(4_000),
  CALL_MAX_DURATION_MS: ms.default(300_000),

  // CRM webhook of campaigns that set lead_webhook_url: per lead, the first retry after this delay, doubling up
  // to 10 min, at most this many attempts (about 2 h 30 with the defaults), each request bounded.
  LEAD_WEBHOOK_RETRY_INITIAL_MS: ms.default(2_000),
  LEAD_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(20),
  LEAD_WEBHOOK_TIMEOUT_MS: ms.default(10_000),

  // Folders
  AUDIO_DIR: z.string().default('audio'),
  RECORDINGS_DIR: z.string().default('data/recordings'),
  // Call recordings older than this are deleted by the media worker (0 = keep forever).
  RECORDINGS_RETENTION_DAYS: z.coerce.number().int().min(0).default(30),
  // Operators' scenarios: a folder of <name>/scenario.yaml (+ prompts/<id>.wav), next to the built-in ones
  // (the repository's scenarios/ folder). Unset = built-in scenarios only. See cli/README.md "Your own scenario".
  SCENARIOS_DIR: z.string().optional(),

  // Asterisk dialing (media worker): contact phone -> dial endpoint. {number} = E.164 digits without '+',
  // {e164} = +33..., {national} = 0X XX XX XX XX for French numbers. ASTERISK_DIAL_MAP: JSON object of exact
  // phone -> endpoint overrides (labs and tests, e.g. {"+33750000001":"Local/human@minibot-test-callees"}).
  ASTERISK_DIAL_TEMPLATE: z.string().default('PJSIP/{number}@carrier'),
  ASTERISK_DIAL_MAP: z
    .string()
    .transform((v, ctx) => {
      try {
        const o = JSON.parse(v) as unknown;
        if (o && typeof o === 'object' && !Array.isArray(o) && Object.values(o).every((x) => typeof x === 'string')) return o as Record<string, string>;
      } catch {
        /* reported below */
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object of "phone": "endpoint" strings' });
      return z.NEVER;
    })
    .optional(),
  // Live transfer of a lead (a scenario's transfer step): the agent leg is dialed on this endpoint, {agent} =
  // the campaign's `agent` (an agent's extension, a queue...), e.g. PJSIP/{agent}@agents or Local/{agent}@agents
  // (a dialplan context that runs Queue()). Unset: a transfer step finds no agent and goes on at its onNoAgent.
  AGENT_DIAL_TEMPLATE: z
    .string()
    .refine((v) => v.includes('{agent}'), 'must contain {agent} (e.g. PJSIP/{agent}@agents)')
    .optional(),
  // Media worker health endpoint (GET /health: ARI connection, calls held, headroom; GET /metrics:
  // Prometheus figures of this instance); unset = none.
  MEDIA_HEALTH_PORT: port.optional(),
  // Admission control per media worker instance (lib/headroom.ts): most calls it holds at once (ringing or
  // up); beyond, originate answers MediaAtCapacity and the call waits, neither dialed nor counted. Unset: 16
  // with Asterisk (the bench:media -- --profile campaign goal on 2 cores; measure yours), none when simulated.
  MEDIA_MAX_CALLS: z.coerce.number().int().min(1).max(10_000).optional(),
  // Admission control: no new call while the recognisers are this far behind real time (ms).
  MEDIA_MAX_ASR_BACKLOG_MS: ms.default(400),
  // Admission control: no new call while the media worker's event loop is this late (ms, p99 over 1 s).
  MEDIA_MAX_LAG_MS: ms.default(40),
});

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; reason: string }[]) {
    super(
      'Invalid configuration:\n' + issues.map((i) => `  ${i.variable}: ${i.reason}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Parses an environment (default: process.env). Empty strings count as unset. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v.trim() !== '') cleaned[key] = v.trim();
  }
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), reason: i.message })),
    );
  }
  const config = result.data;
  const tlsIssues: { variable: string; reason: string }[] = [];
  if (config.TEMPORAL_TLS_CLIENT_CERT_PATH && !config.TEMPORAL_TLS_CLIENT_KEY_PATH)
    tlsIssues.push({ variable: 'TEMPORAL_TLS_CLIENT_KEY_PATH', reason: 'required with TEMPORAL_TLS_CLIENT_CERT_PATH (mTLS needs the certificate and its key)' });
  if (config.TEMPORAL_TLS_CLIENT_KEY_PATH && !config.TEMPORAL_TLS_CLIENT_CERT_PATH)
    tlsIssues.push({ variable: 'TEMPORAL_TLS_CLIENT_CERT_PATH', reason: 'required with TEMPORAL_TLS_CLIENT_KEY_PATH (mTLS needs the certificate and its key)' });
  if (config.TEMPORAL_TLS === false && (config.TEMPORAL_TLS_CLIENT_CERT_PATH || config.TEMPORAL_TLS_SERVER_CA_CERT_PATH || config.TEMPORAL_TLS_SERVER_NAME || config.TEMPORAL_API_KEY))
    tlsIssues.push({ variable: 'TEMPORAL_TLS', reason: 'false contradicts the TLS files, server name or API key that are set' });
  if (tlsIssues.length) throw new ConfigError(tlsIssues);
  if (config.NODE_ENV === 'production') {
    const missing: { variable: string; reason: string }[] = [];
    if (!config.API_KEY) missing.push({ variable: 'API_KEY', reason: 'required in production' });
    if (!config.DATABASE_URL) missing.push({ variable: 'DATABASE_URL', reason: 'required in production' });
    if (!config.TEMPORAL_CODEC_KEYS) missing.push({ variable: 'TEMPORAL_CODEC_KEYS', reason: 'required in production (phone numbers and transcripts must not reach Temporal in clear)' });
    if (config.TELEPHONY_BACKEND === 'asterisk' && !config.ARI_PASSWORD)
      missing.push({ variable: 'ARI_PASSWORD', reason: 'required with TELEPHONY_BACKEND=asterisk' });
    if (missing.length) throw new ConfigError(missing);
  }
  return config;
}

let cached: Config | undefined;

/** The process-wide configuration, parsed on first use. */
export function config(): Config {
  cached ??= parseConfig();
  return cached;
}

/** For tests that change the environment. */
export function resetConfigCache(): void {
  cached = undefined;
}

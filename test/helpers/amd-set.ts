// The AMD test set: people answering and answering machines, generated at test time with espeak-ng and sox
// (deterministic: same text, voice and speed give the same samples; cached in .cache/media/fixtures/amd-set),
// plus the recorded test callees of audio/test-callees. Each case is played, from the pickup, through the
// same stages as a call (WebRTC VAD framer -> stream AMD, media/session.ts wires the same) and judged on the
// verdict alone. Used by test/media/amd-set.test.ts (per-case verdicts) and `npm run bench:amd` (figures).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initVad } from '../../media/vad';
import { VadFramer } from '../../media/vad-framer';
import { MediaTap, Pipeline } from '../../media/pipeline';
import { readWavMono } from '../../media/audio';
import { StreamAmd, type StreamAmdOptions, type StreamVerdict } from '../../media/amd';
import { percentile } from '../../lib/metrics';
import { CACHE, ROOT, concat } from './media-fixtures';

const RATE = 8000;
const DIR = join(CACHE, 'fixtures', 'amd-set');
const CALLEES = join(ROOT, 'audio/test-callees');

/** espeak-ng voice, optionally with a pitch (`-p`): high steady female voices are the hard case for the beep rule. */
export const HUMAN_VOICES = ['fr', 'fr+f2', 'fr+m3', 'fr+f4', 'fr+f1', 'fr+m1', 'fr+f2 p85', 'fr+f4 p85', 'fr+f3 p99'];
export const SPEEDS = [130, 165, 200];
export const HUMAN_ANSWERS = ['allô oui bonjour', 'oui bien sûr je suis intéressé', 'allô ?', 'oui allô', "Allô ? Oui, bonjour, c'est de la part de qui ?"];
export const MACHINE_VOICES = ['fr', 'fr+f2', 'fr+m3'];
export const MACHINE_GREETINGS = [
  'Bonjour, vous êtes bien sur la messagerie de Jean Dupont. Laissez-moi un message après le bip.',
  "Vous êtes sur le répondeur de Marie, je ne suis pas disponible pour l'instant, laissez un message.",
  "Le correspondant que vous avez demandé n'est pas disponible. Veuillez laisser un message après le signal sonore.",
];
/** A short greeting only a beep can tell from a person. */
export const SHORT_GREETING = 'Laissez un message après le bip.';
export const BEEPS_HZ = [400, 440, 600, 850, 1000];

export interface AmdCase {
  name: string;
  expected: 'HUMAN' | 'MACHINE';
  /** 8 kHz mono from the pickup: lead silence, what the callee side plays, then silence. */
  pcm: Int16Array;
}

function sh(args: string[], input?: Buffer): Buffer {
  return execFileSync(args[0]!, args.slice(1), { input, maxBuffer: 64 << 20, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** espeak-ng speech as a handset delivers it: 8 kHz, trimmed, compressed like a phone line, -3 dBFS peak. */
function say(text: string, voiceSpec: string, speed: number): Int16Array {
  mkdirSync(DIR, { recursive: true });
  const [voice, pitch] = voiceSpec.split(' ') as [string, string | undefined];
  const key = `${voice.replace('+', '_')}${pitch ?? ''}-${speed}-${Buffer.from(text).toString('base64url').slice(0, 48)}`;
  const out = join(DIR, `${key}.raw`);
  if (!existsSync(out)) {
    const wav = sh(['espeak-ng', '-v', voice, ...(pitch ? ['-p', pitch.slice(1)] : []), '-s', String(speed), '--stdout', '--', text]);
    const raw = sh(['sox', '-D', '-t', 'wav', '-', '-r', String(RATE), '-c', '1', '-b', '16', '-e', 'signed', '-t', 'raw', '-',
      'silence', '1', '0.02', '-45d', 'reverse', 'silence', '1', '0.02', '-45d', 'reverse',
      'compand', '0.01,0.15', '-70,-70,-50,-25,-20,-8,0,-4', '-6', 'norm', '-3'], wav);
    // Written whole or not at all (tmp file, then mv), so a cut run never leaves half a case cached.
    execFileSync('sh', ['-c', 'cat > "$1.tmp" && mv "$1.tmp" "$1"', 'sh', out], { input: raw });
  }
  const b = readFileSync(out);
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

function tone(hz: number, ms: number, dbfs = -10): Int16Array {
  const a = 32767 * 10 ** (dbfs / 20);
  return Int16Array.from({ length: (ms * RATE) / 1000 }, (_, i) => Math.round(a * Math.sin((2 * Math.PI * hz * i) / RATE)));
}
const silence = (ms: number) => new Int16Array((ms * RATE) / 1000);

/** Every case of the set (the espeak-ng/sox renderings are cached after the first run). */
export async function amdCases(): Promise<AmdCase[]> {
  const cases: AmdCase[] = [];
  let i = 0;
  // People: pick up, a pause of 300-900 ms, their "allô", then they listen (silence).
  for (const voice of HUMAN_VOICES) for (const speed of SPEEDS) for (const text of HUMAN_ANSWERS) {
    const lead = 300 + ((i++ * 137) % 600);
    cases.push({ name: `human ${voice} ${speed} "${text.slice(0, 22)}"`, expected: 'HUMAN', pcm: concat(silence(lead), say(text, voice, speed), silence(6000)) });
  }
  // Answering machines: greeting at once (200-500 ms), then a pause and a beep of 300-600 ms, or no beep.
  for (const voice of MACHINE_VOICES) for (const [g, text] of MACHINE_GREETINGS.entries()) for (const hz of [...BEEPS_HZ, 0]) {
    const lead = 200 + ((i++ * 97) % 300);
    const speed = SPEEDS[(g + hz) % SPEEDS.length]!;
    const beep = hz ? concat(silence(300 + ((i * 53) % 500)), tone(hz, 300 + ((i * 71) % 300))) : new Int16Array(0);
    cases.push({ name: `machine ${voice} ${speed} g${g} ${hz ? `beep ${hz} Hz` : 'no beep'}`, expected: 'MACHINE', pcm: concat(silence(lead), say(text, voice, speed), beep, silence(4000)) });
  }
  for (const voice of MACHINE_VOICES) for (const hz of BEEPS_HZ) {
    const lead = 200 + ((i++ * 97) % 300);
    cases.push({ name: `machine ${voice} short greeting beep ${hz} Hz`, expected: 'MACHINE', pcm: concat(silence(lead), say(SHORT_GREETING, voice, 165), silence(400), tone(hz, 400), silence(4000)) });
  }
  // The recorded callees (the same files Asterisk plays in the end-to-end tier).
  const rec = async (n: string) => (await readWavMono(join(CALLEES, `${n}.wav`))).pcm;
  cases.push({ name: 'callee allo', expected: 'HUMAN', pcm: concat(silence(400), await rec('allo'), silence(6000)) });
  cases.push({ name: 'callee allo_bonjour', expected: 'HUMAN', pcm: concat(silence(400), await rec('allo_bonjour'), silence(6000)) });
  cases.push({ name: 'callee machine_greeting + beep', expected: 'MACHINE', pcm: concat(silence(400), await rec('machine_greeting'), await rec('beep'), silence(3000)) });
  return cases;
}

export interface AmdCaseResult {
  name: string;
  expected: AmdCase['expected'];
  status: StreamVerdict['status'] | 'NONE';
  cause: string;
  afterMs: number;
  /** A person must not be a MACHINE (NOTSURE is handled as a person); a machine must be a MACHINE. */
  ok: boolean;
}

/** One case through VAD framer -> stream AMD, as in a call (the pickup is t = 0). */
export function judge(c: AmdCase, opts?: Partial<StreamAmdOptions>): AmdCaseResult {
  const amd = new StreamAmd(0, opts);
  const pipeline = new Pipeline([new VadFramer({ sampleRate: RATE, frameMs: 20, vadMode: 2 }), new MediaTap((f) => amd.push(f))], () => {});
  pipeline.push({ kind: 'audio', t: 0, pcm: c.pcm, sampleRate: RATE });
  pipeline.close();
  const v = amd.verdict;
  const status = v?.status ?? 'NONE';
  return { name: c.name, expected: c.expected, status, cause: v?.cause ?? '', afterMs: v?.afterMs ?? -1, ok: c.expected === 'MACHINE' ? status === 'MACHINE' : status !== 'MACHINE' };
}

export async function runAmdSet(opts?: Partial<StreamAmdOptions>) {
  await initVad();
  const cases = (await amdCases()).map((c) => judge(c, opts));
  const humans = cases.filter((c) => c.expected === 'HUMAN');
  const machines = cases.filter((c) => c.expected === 'MACHINE');
  const p = (xs: number[], q: number) => {
    const v = percentile(xs, q);
    return v === null ? null : Math.round(v);
  };
  const delays = (xs: AmdCaseResult[]) => xs.filter((c) => c.afterMs >= 0).map((c) => c.afterMs);
  return {
    cases,
    summary: {
      humans: humans.length,
      machines: machines.length,
      humanFalseMachinePct: Math.round((1000 * humans.filter((c) => c.status === 'MACHINE').length) / humans.length) / 10,
      humanNotSure: humans.filter((c) => c.status === 'NOTSURE' || c.status === 'NONE').length,
      machineRecallPct: Math.round((1000 * machines.filter((c) => c.status === 'MACHINE').length) / machines.length) / 10,
      verdictP50Ms: p(delays(cases), 50),
      verdictP95Ms: p(delays(cases), 95),
      humanVerdictP95Ms: p(delays(humans), 95),
      machineVerdictP95Ms: p(delays(machines), 95),
    },
  };
}

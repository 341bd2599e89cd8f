// sox / espeak-ng invocations shared by audio-build.ts and audio-validate.ts (the seed's setup_audio.sh steps).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function hasTool(name: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}

export class ToolMissingError extends Error {
  constructor(tool: string) {
    super(`${tool} is not installed: run scripts/audio-install-tools.sh (apt: espeak-ng sox libsox-fmt-all)`);
    this.name = 'ToolMissingError';
  }
}

export async function requireTools(...tools: string[]): Promise<void> {
  for (const t of tools) if (!(await hasTool(t))) throw new ToolMissingError(t);
}

/**
 * Any sox-readable input -> telephony prompt: mono, leading/trailing silence trimmed then padded to 0.5 s,
 * 8 kHz, 16-bit signed PCM WAV, peak normalised to -12 dBFS. -D: no dither, so the padding stays digital
 * silence and rebuilding the same text gives the same bytes.
 */
export async function conditionToPrompt(
  input: string,
  output: string,
  opts: { padS?: number; peakDbfs?: number; phoneLine?: boolean } = {},
): Promise<void> {
  const pad = String(opts.padS ?? 0.5);
  const peak = String(opts.peakDbfs ?? -12);
  // phoneLine: dynamic compression like a handset/answering machine on a real line (the test callees): speech
  // energy stays above Asterisk's silence threshold between syllables, as real voices do, instead of
  // espeak-ng's choppy synthetic bursts.
  const line = opts.phoneLine ? ['compand', '0.01,0.15', '-70,-70,-50,-25,-20,-8,0,-4', '-6'] : [];
  try {
    await run('sox', [
      '-D', input,
      '-b', '16', '-e', 'signed-integer', '-c', '1', '-r', '8000', '-t', 'wav', output,
      'remix', '-',
      'silence', '1', '0.02', '-45d', 'reverse', 'silence', '1', '0.02', '-45d', 'reverse',
      'rate', '-v', '8000',
      ...line,
      'pad', pad, pad,
      'norm', peak,
    ]);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`sox could not convert ${input}: ${(err.stderr || err.message).trim()}`);
  }
}

/** French text -> WAV (espeak-ng's own 22 kHz output; condition it afterwards). */
export async function speak(text: string, output: string, voice: { name: string; wordsPerMinute: number; pitch: number }): Promise<void> {
  await run('espeak-ng', ['-v', voice.name, '-s', String(voice.wordsPerMinute), '-p', String(voice.pitch), '-w', output, '--', text]);
}

/** A pure tone (answering-machine beep) in the prompt format, peak at peakDbfs. */
export async function tone(output: string, frequencyHz: number, seconds: number, peakDbfs = -12): Promise<void> {
  await run('sox', ['-D', '-n', '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', output,
    'synth', String(seconds), 'sine', String(frequencyHz), 'norm', String(peakDbfs)]);
}

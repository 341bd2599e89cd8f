// npm run audio:validate [-- [--check-only] [--fix] [--json] [files or folders...]]
//
// Checks prompt audio files (default: the AUDIO_DIR folder, where the shared prompts must all be present, and each
// scenario's prompts/ folder, where every prompt written under the scenario file's `prompts:` must be present):
// format (WAV 8 kHz mono 16-bit PCM), duration (not empty, at most 30 s), level (peak -12 dBFS ± 1.5 dB, no
// clipping), silence at start/end (about 0.5 s). Reports each problem by file; exit code 1 when any remains.
//
// Like the seed's setup_audio.sh, it accepts what an operator drops in: any file sox can read (mp3, ogg,
// flac, wav at another rate or in stereo, ...) is converted into <folder>/<name>.wav in the prompt format
// (the original is kept in <folder>/originals/), then checked. --fix also re-conditions WAVs that have the
// right format but a level or silence problem. --check-only never writes anything.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { config } from '../runtime/config';
import { type AudioProblem, checkWavBuffer, formatProblems, missingPrompts, parseWav, WavError } from '../lib/audio-files';
import { conditionToPrompt, hasTool } from './audio-sox';
import { listScenarios } from '../services/scenarios';

const AUDIO_EXTENSIONS = new Set(['.wav', '.wave', '.mp3', '.ogg', '.oga', '.opus', '.flac', '.aif', '.aiff', '.au', '.snd', '.gsm', '.raw', '.m4a', '.aac', '.webm', '.amr']);

export interface ValidateOptions {
  checkOnly: boolean;
  fix: boolean;
  /** Report the prompts missing from each folder given (on for the default AUDIO_DIR). */
  requirePrompts: boolean;
}

export interface ValidateResult {
  checked: string[];
  converted: { from: string; to: string }[];
  problems: AudioProblem[];
}

function needsConversion(file: string): boolean {
  if (!['.wav', '.wave'].includes(extname(file).toLowerCase())) return true;
  try {
    return formatProblems(file, parseWav(readFileSync(file))).length > 0;
  } catch (e) {
    if (e instanceof WavError) return true; // e.g. a WAV with an unusual layout: sox may still read it
    throw e;
  }
}

async function convert(file: string): Promise<string> {
  const dir = dirname(file);
  const stem = basename(file, extname(file));
  const originals = join(dir, 'originals');
  mkdirSync(originals, { recursive: true });
  let kept = join(originals, basename(file));
  for (let i = 1; existsSync(kept); i++) kept = join(originals, `${stem}.${i}${extname(file)}`);
  renameSync(file, kept);
  const target = join(dir, `${stem}.wav`);
  try {
    await conditionToPrompt(kept, target);
  } catch (e) {
    renameSync(kept, file); // leave the operator's file where it was
    throw new Error((e as Error).message.split(kept).join(file));
  }
  return target;
}

export async function validateAudio(inputs: string[], opts: ValidateOptions): Promise<ValidateResult> {
  const result: ValidateResult = { checked: [], converted: [], problems: [] };
  const files: string[] = [];
  for (const input of inputs) {
    const path = resolve(input);
    if (!existsSync(path)) {
      result.problems.push({ file: input, code: 'missing', message: 'no such file or folder' });
      continue;
    }
    if (statSync(path).isDirectory()) {
      const names = readdirSync(path).filter((f) => AUDIO_EXTENSIONS.has(extname(f).toLowerCase()) && statSync(join(path, f)).isFile());
      files.push(...names.sort().map((f) => join(path, f)));
      if (opts.requirePrompts) {
        // A prompt supplied as hello.mp3 counts: it is about to be converted into hello.wav.
        const stems = names.map((f) => basename(f, extname(f)) + '.wav');
        for (const m of missingPrompts(stems)) {
          result.problems.push({ file: join(input, `${m}.wav`), code: 'missing', message: `prompt "${m}" is missing (npm run audio:build, or drop in a recording)` });
        }
      }
    } else {
      files.push(path);
    }
  }
  const soxAvailable = !opts.checkOnly && (await hasTool('sox'));
  const seen = new Set<string>();
  for (let file of files) {
    const display = () => file.replace(process.cwd() + '/', '');
    const wantsFix = () => opts.fix && checkWavBuffer(file, readFileSync(file)).some((p) => p.code === 'level' || p.code === 'silence');
    if (!opts.checkOnly && (needsConversion(file) || wantsFix())) {
      if (!soxAvailable) {
        result.problems.push({ file: display(), code: 'format', message: 'needs conversion but sox is not installed (scripts/audio-install-tools.sh)' });
        continue;
      }
      try {
        const from = display();
        file = await convert(file);
        result.converted.push({ from, to: display() });
      } catch (e) {
        result.problems.push({ file: display(), code: 'unreadable', message: (e as Error).message });
        continue;
      }
    }
    if (seen.has(file)) continue; // hello.mp3 and hello.wav both given: check the result once
    seen.add(file);
    result.checked.push(display());
    result.problems.push(...checkWavBuffer(display(), readFileSync(file)));
  }
  return result;
}

async function main(argv: string[]): Promise<void> {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  for (const f of flags) {
    if (!['--check-only', '--fix', '--json', '--require-prompts'].includes(f)) {
      console.error(`audio:validate: unknown option ${f}`);
      process.exit(2);
    }
  }
  const paths = argv.filter((a) => !a.startsWith('--'));
  const inputs = paths.length ? paths : [config().AUDIO_DIR];
  const opts = { checkOnly: flags.has('--check-only'), fix: flags.has('--fix') };
  const res = await validateAudio(inputs, { ...opts, requirePrompts: flags.has('--require-prompts') || paths.length === 0 });
  if (paths.length === 0) {
    for (const s of listScenarios(config())) {
      const dir = join(s.dir, 'prompts');
      const ids = Object.keys(s.prompts);
      if (!ids.length && !existsSync(dir)) continue;
      const r = existsSync(dir) ? await validateAudio([dir], { ...opts, requirePrompts: false }) : { checked: [], converted: [], problems: [] };
      const have = new Set(existsSync(dir) ? readdirSync(dir).map((f) => basename(f, extname(f))) : []);
      for (const id of ids.filter((i) => !have.has(i))) {
        r.problems.push({ file: join(dir, `${id}.wav`).replace(process.cwd() + '/', ''), code: 'missing', message: `prompt "${id}" of scenario "${s.name}" is missing (npm run audio:build, or drop in a recording)` });
      }
      res.checked.push(...r.checked);
      res.converted.push(...r.converted);
      res.problems.push(...r.problems);
    }
  }
  if (flags.has('--json')) {
    console.log(JSON.stringify(res));
  } else {
    for (const c of res.converted) console.log(`converted ${c.from} -> ${c.to}`);
    const byFile = new Map<string, AudioProblem[]>();
    for (const p of res.problems) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
    for (const f of res.checked) if (!byFile.has(f)) console.log(`✓ ${f}`);
    for (const [f, ps] of byFile) {
      console.log(`✗ ${f}`);
      for (const p of ps) console.log(`    ${p.code}: ${p.message}`);
    }
    console.log(`${res.checked.length} file(s) checked, ${res.problems.length} problem(s) in ${byFile.size} file(s)`);
  }
  process.exit(res.problems.length ? 1 : 0);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`audio:validate: ${(e as Error).message}`);
    process.exit(1);
  });
}

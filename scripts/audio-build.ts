// npm run audio:build [-- --only name[,name]]
// Renders audio/prompts.json (the shared prompts), audio/test-callees/phrases.json (what the Asterisk test
// callees say) and every scenario file's own prompts (scenarios/<name>/prompts/<id>.wav, built-in and
// SCENARIOS_DIR, from the texts under `prompts:`) into WAV 8 kHz mono 16-bit with espeak-ng (French voice) +
// sox, then checks every prompt with the validator's rules. The WAVs are committed, so the demo works on a
// machine without espeak-ng. --only takes prompt names (a scenario's: <scenario>/<id>).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { config } from '../runtime/config';
import { PROMPT_NAMES, checkWavBuffer, parseWav, analyzePcm16 } from '../lib/audio-files';
import { conditionToPrompt, requireTools, speak, tone } from './audio-sox';
import { listScenarios } from '../services/scenarios';

const voiceSchema = z.object({ name: z.string().min(1), wordsPerMinute: z.number().int().min(80).max(450), pitch: z.number().int().min(0).max(99) });
const promptsSchema = z.object({
  voice: voiceSchema,
  prompts: z.array(z.object({ name: z.enum(PROMPT_NAMES), role: z.string(), text: z.string().min(1) })),
});
const calleesSchema = z.object({
  voice: voiceSchema,
  line: z.object({ peakDbfs: z.number().max(0), phoneLine: z.boolean() }),
  phrases: z.array(z.object({ name: z.string().regex(/^[a-z0-9_]+$/), text: z.string().min(1) })),
  tones: z.array(z.object({ name: z.string().regex(/^[a-z0-9_]+$/), frequencyHz: z.number().positive(), seconds: z.number().positive() })),
});

function load<T>(file: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${file}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return parsed.data;
}

async function main(argv: string[]): Promise<void> {
  const onlyArg = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
  const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;
  const audioDir = resolve(config().AUDIO_DIR);
  const prompts = load(join(audioDir, 'prompts.json'), promptsSchema);
  const callees = load(join(audioDir, 'test-callees', 'phrases.json'), calleesSchema);
  const missing = PROMPT_NAMES.filter((n) => !prompts.prompts.some((p) => p.name === n));
  if (missing.length) throw new Error(`${join(audioDir, 'prompts.json')}: prompts missing: ${missing.join(', ')}`);

  await requireTools('espeak-ng', 'sox');
  const tmp = mkdtempSync(join(tmpdir(), 'minibot-audio-'));
  let failures = 0;
  try {
    const rows: string[] = [];
    const jobs = [
      ...prompts.prompts.map((p) => ({ ...p, voice: prompts.voice, out: join(audioDir, `${p.name}.wav`), isPrompt: true, line: undefined as typeof callees.line | undefined })),
      ...callees.phrases.map((p) => ({ ...p, voice: callees.voice, out: join(audioDir, 'test-callees', `${p.name}.wav`), isPrompt: false, line: callees.line })),
      // A scenario whose file does not compile yet (its WAVs are missing: that is why we build) still has texts.
      ...listScenarios(config()).flatMap((s) => Object.entries(s.prompts).map(([id, text]) => {
        mkdirSync(join(s.dir, 'prompts'), { recursive: true });
        return { name: `${s.name}/${id}`, text, voice: prompts.voice, out: join(s.dir, 'prompts', `${id}.wav`), isPrompt: true, line: undefined as typeof callees.line | undefined };
      })),
    ];
    for (const job of jobs) {
      if (only && !only.has(job.name)) continue;
      const raw = join(tmp, `${job.name.replace('/', '--')}.raw.wav`);
      await speak(job.text, raw, job.voice);
      await conditionToPrompt(raw, job.out, job.line ?? {});
      const buf = readFileSync(job.out);
      const info = parseWav(buf);
      const a = analyzePcm16(info.samples!, info.sampleRate);
      const problems = job.isPrompt ? checkWavBuffer(job.out, buf) : [];
      failures += problems.length;
      rows.push(
        `${problems.length ? '✗' : '✓'} ${(job.isPrompt ? (job.name.includes('/') ? 'scenarios/' : '') : 'test-callees/') + job.name}.wav`.padEnd(38) +
          `${a.durationS.toFixed(2).padStart(6)} s  peak ${a.peakDbfs.toFixed(1)} dBFS` +
          problems.map((p) => `\n    ${p.code}: ${p.message}`).join(''),
      );
    }
    for (const t of callees.tones) {
      if (only && !only.has(t.name)) continue;
      await tone(join(audioDir, 'test-callees', `${t.name}.wav`), t.frequencyHz, t.seconds, callees.line.peakDbfs);
      rows.push(`✓ test-callees/${t.name}.wav`.padEnd(38) + `${t.seconds.toFixed(2).padStart(6)} s  ${t.frequencyHz} Hz tone`);
    }
    console.log(rows.join('\n'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (failures) {
    console.error(`audio:build: ${failures} problem(s) in the generated prompts`);
    process.exit(1);
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`audio:build: ${(e as Error).message}`);
  process.exit(1);
});

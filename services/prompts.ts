// The prompts' French texts and the disclosure identity (audio/prompts.json in AUDIO_DIR), for the checks that
// need them: scenario validation and campaign launch (the first prompt's disclosure, lib/disclosure.ts).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { PromptTexts } from '../lib/scenario';

const promptsFile = z.object({
  disclosure: z.object({ company: z.string().trim().min(1), purpose: z.string().trim().min(1) }),
  prompts: z.array(z.object({ name: z.string(), text: z.string() })),
});

/** Reads AUDIO_DIR/prompts.json; throws an error naming the file and the field when it is unusable. */
export function loadPromptTexts(audioDir: string): PromptTexts {
  const file = resolve(audioDir, 'prompts.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const r = promptsFile.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${file}: ${i.path.join('.') || '(root)'}: ${i.message} (the disclosure needs "disclosure": { "company", "purpose" })`);
  }
  return { texts: Object.fromEntries(r.data.prompts.map((p) => [p.name, p.text])), identity: r.data.disclosure };
}

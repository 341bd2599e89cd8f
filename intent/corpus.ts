// Loader for the labelled corpus (intent/corpus/*.tsv). Used by eval, bench, calibration and tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { INTENTS, STEPS, type Intent } from '../lib/intent/types';

export interface CorpusItem {
  label: Intent;
  step: string;
  text: string;
  line: number;
}

export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

/** Parses a corpus TSV; throws an error naming the file and line on any bad row. */
export function parseCorpus(tsv: string, name = 'corpus'): CorpusItem[] {
  const out: CorpusItem[] = [];
  const lines = tsv.split(/\r?\n/);
  lines.forEach((raw, i) => {
    if (i === 0 || raw.trim() === '') return; // header
    const cols = raw.split('\t');
    if (cols.length !== 3) throw new Error(`${name}:${i + 1}: expected 3 tab-separated columns (label, step, text), got ${cols.length}`);
    const [label, step, text] = cols as [string, string, string];
    if (!(INTENTS as readonly string[]).includes(label)) throw new Error(`${name}:${i + 1}: unknown label "${label}"`);
    if (!(STEPS as readonly string[]).includes(step)) throw new Error(`${name}:${i + 1}: unknown step "${step}"`);
    out.push({ label: label as Intent, step, text, line: i + 1 });
  });
  return out;
}

/**
 * The opt-out test set (optout-asr.tsv): many ways of saying "stop calling me" as French ASR writes them
 * (no punctuation, homophones, dropped "ne", missing words, fillers), plus near misses that are not opt-outs.
 * Never used for tuning the train split's calibration; reported by npm run eval:intent.
 */
export function loadOptOutSet(): CorpusItem[] {
  return parseCorpus(readFileSync(`${CORPUS_DIR}optout-asr.tsv`, 'utf8'), 'optout-asr.tsv');
}

export function loadSplit(split: 'train' | 'test'): CorpusItem[] {
  const file = `${CORPUS_DIR}${split}.tsv`;
  return parseCorpus(readFileSync(file, 'utf8'), `${split}.tsv`);
}

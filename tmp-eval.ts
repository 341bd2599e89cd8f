import { readFileSync } from 'node:fs';
import { classify } from './lib/intent';
import { parseCorpus } from './lib/intent/corpus';
const items = parseCorpus(readFileSync('lib/intent/corpus/optout-asr.tsv', 'utf8'), 'optout');
let bad = 0;
for (const it of items) { const r = classify(it.text, { context: it.step }); if (r.intent !== it.label) { bad++; console.log(`${it.label} -> ${r.intent}  ${it.text}`); } }
console.log(`${items.length} items, ${bad} wrong`);

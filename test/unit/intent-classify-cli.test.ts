// The stdin/stdout contract of `npm run --silent intent:classify` (used to evaluate the engine on unseen text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('intent:classify: one JSON line out per JSON line in, same order, nothing else on stdout', () => {
  const input = [
    { text: 'ne me rappelez plus jamais', context: 'hello' },
    { text: 'oui ça m intéresse', context: 'hello' },
    { text: '', context: 'q1' },
    { text: 'rappelez moi demain', context: 'hello' },
  ]
    .map((o) => JSON.stringify(o))
    .join('\n') + '\nnot json\n';
  const env = { ...process.env, OLLAMA_URL: '', LOG_LEVEL: 'info' };
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/intent-classify.ts'], { cwd: root, input, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 5);
  const out = lines.map((l) => JSON.parse(l));
  assert.deepEqual(out.slice(0, 4).map((o) => o.intent), ['stop', 'affirm', 'unsure', 'callback']);
  for (const o of out.slice(0, 4)) {
    assert.equal(o.method, 'embedded');
    assert.ok(o.confidence >= 0 && o.confidence <= 1);
    assert.equal(typeof o.latencyMs, 'number');
  }
  assert.match(out[4].error, /line 5/);
  assert.match(r.stderr, /line 5: invalid JSON/);
});

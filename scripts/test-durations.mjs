// A node:test reporter beside `spec`: the wall time each test file took, slowest first, so the suite's cost
// stays visible (CI has a time limit). Files run one at a time (--test-concurrency=1), so the span between a
// file's start (its first test:dequeue) and its last event is its duration, module loading and fixtures
// included.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

export default async function* durations(source) {
  const files = new Map(); // file -> { first, last, tests, failed }
  for await (const event of source) {
    const file = event.data?.file;
    if (!file) continue;
    const now = Date.now();
    // A file is enqueued when the run starts and dequeued when it starts running: time counts from then.
    let f = files.get(file);
    if (!f) {
      if (event.type !== 'test:dequeue') continue;
      f = { first: now, last: now, tests: 0, failed: 0 };
    }
    f.last = now;
    if (event.data.nesting === 0 && (event.type === 'test:pass' || event.type === 'test:fail')) {
      f.tests += 1;
      if (event.type === 'test:fail') f.failed += 1;
    }
    files.set(file, f);
  }
  const rows = [...files].map(([file, f]) => ({ file: relative(process.cwd(), file), seconds: (f.last - f.first) / 1000, tests: f.tests, failed: f.failed }));
  rows.sort((a, b) => b.seconds - a.seconds);
  const total = rows.reduce((s, r) => s + r.seconds, 0);
  const out = process.env.MINIBOT_TEST_DURATIONS_FILE;
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({ totalSeconds: total, files: rows }, null, 2));
  }
  yield `\nslowest test files (of ${rows.length}, ${(total / 60).toFixed(1)} min in all):\n`;
  for (const r of rows.slice(0, 15)) yield `  ${r.seconds.toFixed(1).padStart(7)} s  ${r.file}${r.failed ? `  (${r.failed} failed)` : ''}\n`;
}

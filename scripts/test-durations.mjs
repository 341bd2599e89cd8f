// A node:test reporter beside `spec`: the wall time each test file took, so the suite's cost stays visible (CI
// has a time limit). Files run one at a time (--test-concurrency=1), so the span between a file's start (its
// first test:dequeue) and its last top-level event is its duration, module loading and fixtures included.
// The file is rewritten after each top-level event rather than at the end: --test-force-exit ends the runner
// without waiting for reporters to finish. scripts/test.ts reads it and prints the slowest files, and after them
// every failed test with the head of its error: with three lanes interleaved, CI's last lines must say what failed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

export default async function* durations(source) {
  const out = process.env.MINIBOT_TEST_DURATIONS_FILE;
  if (out) mkdirSync(dirname(out), { recursive: true });
  const files = new Map(); // file -> { first, last, tests, failed }
  const failures = []; // { file, test, error }: leaf failures only (a parent's "subtests failed" says nothing new)
  for await (const event of source) {
    const file = event.data?.file;
    if (!file) continue;
    const now = Date.now();
    // A file is enqueued when the run starts and dequeued when it starts running: time counts from then.
    let f = files.get(file);
    if (!f) {
      if (event.type !== 'test:dequeue') continue;
      f = { first: now, last: now, tests: 0, failed: 0 };
      files.set(file, f);
    }
    f.last = now;
    const failed = event.type === 'test:fail';
    if (failed && event.data.details?.error?.failureType !== 'subtestsFailed') {
      failures.push({ file: relative(process.cwd(), file), test: event.data.name, error: errorHead(event.data.details?.error) });
    }
    if (event.data.nesting !== 0 && !failed) continue;
    if (event.data.nesting === 0 && (event.type === 'test:pass' || failed)) {
      f.tests += 1;
      if (event.type === 'test:fail') f.failed += 1;
    }
    if (out) {
      const rows = [...files].map(([name, x]) => ({ file: relative(process.cwd(), name), seconds: (x.last - x.first) / 1000, tests: x.tests, failed: x.failed }));
      writeFileSync(out, JSON.stringify({ files: rows, failures }, null, 2));
    }
  }
  // Nothing to print: the table is scripts/test.ts's, over every lane.
}

/** The first lines of a failure's message (the test runner wraps the test's own error as its cause). */
function errorHead(err) {
  const inner = err?.cause ?? err;
  const text = String(inner?.message ?? inner ?? 'unknown error');
  return text.split('\n').slice(0, 8).join('\n').slice(0, 1200);
}

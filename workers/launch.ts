// How `npm run worker` starts the worker process (package.json's `worker` script): its environment defaults
// and node flags, read from that script so that whoever spawns a worker (bench:campaign, the crash tests)
// measures and tests the process a user runs, not a differently tuned one.
//
// Why the script sets them (bench:campaign -- --contacts 1000 --concurrent 50 --speed 300, worker peak RSS):
// without any, V8 let the main isolate's heap reach 307 MB committed for ~80 MB live (and the workflow
// thread's 150 MB for ~38 MB live) and glibc gave the SDK core's threads arenas of their own: 727 MB.
// --max-old-space-size=256 and --max-semi-space-size=4 (every isolate: the main one, the workflow thread's)
// bring it to 438 MB, MALLOC_ARENA_MAX=2 to 355 MB, at the same dial rate.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface WorkerLaunch {
  /** Arguments to give process.execPath (node flags, then the entry point). */
  args: string[];
  /** Environment defaults of the script (`NAME=${NAME:-value}`), each kept when the caller's env sets it. */
  env: Record<string, string>;
}

export function workerLaunch(env: NodeJS.ProcessEnv = process.env): WorkerLaunch {
  const script = (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts.worker;
  const m = script && /^((?:[A-Z_]+=\$\{[A-Z_]+:-[^}]*\}\s+)*)node\s+(.*\S)\s*$/.exec(script);
  if (!m) throw new Error(`package.json scripts.worker is not "NAME=\${NAME:-value}… node <flags> <entry>": ${script}`);
  const defaults: Record<string, string> = {};
  for (const a of m[1]!.matchAll(/([A-Z_]+)=\$\{([A-Z_]+):-([^}]*)\}/g)) defaults[a[1]!] = env[a[2]!] ?? a[3]!;
  return { args: m[2]!.split(/\s+/), env: defaults };
}

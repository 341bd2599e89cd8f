// Builds the workflow bundle and writes it to the file named by its first argument; the others are workflow
// interceptor modules to bundle with it (tracing). Run as a child process by
// workflowBundle() (workers/workers.ts), so that webpack's peak memory is that short-lived process's.
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from './workflows-path';

const [out, ...workflowInterceptorModules] = process.argv.slice(2);
if (!out) throw new Error('usage: bundle-workflows.ts <output file> [workflow interceptor module…]');
const quiet = {
  log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined,
  warn: (m: string, meta?: unknown) => console.warn(m, meta ?? ''),
  error: (m: string, meta?: unknown) => console.error(m, meta ?? ''),
};
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet, ...(workflowInterceptorModules.length ? { workflowInterceptorModules } : {}) });
writeFileSync(out, code);

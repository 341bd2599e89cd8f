// The `minibot` CLI run as an operator runs it, in a child process: the test's in-process workers keep serving
// Temporal while it waits. Gives the exit code, both outputs, and the last line of standard output as JSON.
import { spawn } from 'node:child_process';

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
  json(): any;
}

/** Runs `minibot args…` with this process's environment plus `env`. */
export function runMinibot(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ['cli/minibot.mjs', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err, json: () => JSON.parse(out.trim().split('\n').pop()!) })));
}

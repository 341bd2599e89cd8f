// Structured JSON logging (pino). Components take a child logger with their name. Every line goes to stdout (the
// container convention); with LOG_FILE, STREAMING_LOG_FILE or AMD_LOG_FILE set, a component's lines also go to
// its files (the guide's logs/robot.log, logs/streaming.log, logs/amd.log), reopened on SIGHUP for logrotate.
// Files are pino destinations (sonic-boom) in this thread, not a worker-thread transport: `reopen()` is theirs
// and needs no message passing, and a line is in the file's buffer as soon as it is logged.
import { pino, type DestinationStream, type Logger } from 'pino';
import { config } from './config';
import { maskNumber } from '../lib/mask';

/** Components whose lines go to STREAMING_LOG_FILE: the media server and its calls' sessions (media/server.ts). */
const STREAMING_COMPONENTS = new Set(['media']);
/** Components whose lines go to AMD_LOG_FILE: answering-machine detection verdicts (telephony/asterisk/amd-gate.ts). */
const AMD_COMPONENTS = new Set(['amd']);

type FileDestination = ReturnType<typeof pino.destination>;

let stdout: DestinationStream | undefined;
/** One destination per file path, shared by every logger that writes there. */
const files = new Map<string, FileDestination>();
/** One root logger per set of files (key: the paths joined). */
const roots = new Map<string, Logger>();
let hupInstalled = false;

function options(): pino.LoggerOptions {
  return {
    level: config().LOG_LEVEL,
    base: { service: 'minibot' },
    redact: { paths: ['phone', '*.phone', 'password', '*.password', 'apiKey'], censor: maskPhone },
  };
}

function fileDestination(path: string): FileDestination {
  let d = files.get(path);
  if (!d) {
    d = pino.destination({ dest: path, mkdir: true, append: true, sync: false });
    files.set(path, d);
    if (!hupInstalled) {
      hupInstalled = true;
      process.on('SIGHUP', reopenLogFiles);
    }
  }
  return d;
}

function rootFor(paths: string[]): Logger {
  const key = paths.join('\0');
  let r = roots.get(key);
  if (!r) {
    if (!paths.length) r = pino(options());
    else {
      stdout ??= pino.destination({ dest: 1, sync: true });
      // Each stream takes every level: the logger's own level (LOG_LEVEL) filters once for all of them.
      const streams = [stdout, ...paths.map(fileDestination)].map((stream) => ({ stream, level: 'trace' as const }));
      r = pino(options(), pino.multistream(streams));
    }
    roots.set(key, r);
  }
  return r;
}

/** The files a component's lines go to, besides stdout. */
export function logFilesOf(component: string | undefined, cfg = config()): string[] {
  const out = new Set<string>();
  if (cfg.LOG_FILE) out.add(cfg.LOG_FILE);
  if (component && cfg.STREAMING_LOG_FILE && STREAMING_COMPONENTS.has(component)) out.add(cfg.STREAMING_LOG_FILE);
  if (component && cfg.AMD_LOG_FILE && AMD_COMPONENTS.has(component)) out.add(cfg.AMD_LOG_FILE);
  return [...out];
}

export function logger(component?: string): Logger {
  const root = rootFor(logFilesOf(component));
  return component ? root.child({ component }) : root;
}

/** Reopens every log file at its path (SIGHUP): after logrotate renamed it, the next lines go to a new file. */
export function reopenLogFiles(): void {
  for (const d of files.values()) d.reopen();
  if (files.size) logger('logger').info({ files: [...files.keys()] }, 'log files reopened');
}

/** Masks a phone number for logs: +33612345678 -> +336****5678 (lib/mask.ts); anything else is redacted. */
export function maskPhone(value: unknown): unknown {
  return typeof value === 'string' ? maskNumber(value) : '[redacted]';
}

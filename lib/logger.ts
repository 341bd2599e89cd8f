// Structured JSON logging (pino). One root logger; components take a child with their name.
import { pino, type Logger } from 'pino';
import { config } from './config';

let root: Logger | undefined;

export function logger(component?: string): Logger {
  root ??= pino({
    level: config().LOG_LEVEL,
    base: { service: 'minibot' },
    redact: { paths: ['phone', '*.phone', 'password', '*.password', 'apiKey'], censor: maskPhone },
  });
  return component ? root.child({ component }) : root;
}

/** Masks a phone number for logs: +33612345678 -> +336****5678. */
export function maskPhone(value: unknown): unknown {
  if (typeof value !== 'string') return '[redacted]';
  if (value.length <= 6) return '****';
  return value.slice(0, 4) + '*'.repeat(Math.max(0, value.length - 8)) + value.slice(-4);
}

// Structured JSON logging (pino). One root logger; components take a child with their name.
import { pino, type Logger } from 'pino';
import { config } from './config';
import { maskNumber } from '../lib/mask';

let root: Logger | undefined;

export function logger(component?: string): Logger {
  root ??= pino({
    level: config().LOG_LEVEL,
    base: { service: 'minibot' },
    redact: { paths: ['phone', '*.phone', 'password', '*.password', 'apiKey'], censor: maskPhone },
  });
  return component ? root.child({ component }) : root;
}

/** Masks a phone number for logs: +33612345678 -> +336****5678 (lib/mask.ts); anything else is redacted. */
export function maskPhone(value: unknown): unknown {
  return typeof value === 'string' ? maskNumber(value) : '[redacted]';
}

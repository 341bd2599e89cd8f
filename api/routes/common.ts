// Shared request schemas and helpers for the route modules.
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import type { Config } from '../../runtime/config';
import type { PrismaClient } from '../../prisma/client';
import { PHONE_INPUT } from '../../lib/phone';
import { TEXT_INPUT } from '../../lib/input-rules';

export interface Deps {
  cfg: Config;
  prisma: PrismaClient;
  client: Client;
}

/**
 * Free text from operators: at most `max` characters as sent, no control or bidi-override characters, not
 * blank; stored trimmed. The pattern is the document's, so the document says exactly what is accepted.
 */
export const text = (max = 200) =>
  z.string().max(max).regex(TEXT_INPUT, 'blank, or contains control characters').transform((s) => s.trim());

/** A phone number as the API takes it (lib/phone.ts PHONE_INPUT); its range is checked after (422). */
export const phoneInput = (description: string) =>
  z.string().regex(new RegExp(PHONE_INPUT), 'expected a phone number: digits, +, spaces, . - / ( )').describe(description);

export const idParam = z.object({ id: z.uuid({ message: 'expected a UUID' }) }).strict();
export const limit = (max: number, def: number) => z.coerce.number().int().min(1).max(max).default(def);
export const sinceQuery = z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time' }).optional();
export const campaignFilter = z.uuid({ message: 'expected a UUID' }).optional();

export const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

// Shared request schemas and helpers for the route modules.
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import type { Config } from '../../runtime/config';
import type { PrismaClient } from '../../prisma/client';

export interface Deps {
  cfg: Config;
  prisma: PrismaClient;
  client: Client;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/;

/** Free text from operators: trimmed, bounded, no control or bidi-override characters. */
export const text = (max = 200) =>
  z.string().trim().min(1).max(max).refine((s) => !CONTROL.test(s), { message: 'contains control characters' });

export const idParam = z.object({ id: z.uuid({ message: 'expected a UUID' }) }).strict();
export const limit = (max: number, def: number) => z.coerce.number().int().min(1).max(max).default(def);
export const sinceQuery = z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time' }).optional();
export const campaignFilter = z.uuid({ message: 'expected a UUID' }).optional();

export const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

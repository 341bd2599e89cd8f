// Permanent activity errors: a retry cannot fix them (the row they need is gone), so they are raised as
// non-retryable ApplicationFailures with a type an operator can search for in the Web UI, instead of being
// retried forever. Everything else (connection refused, Postgres restarting, timeouts) stays retryable.
import { ApplicationFailure } from '@temporalio/common';
import { Prisma } from '../prisma/client';

export const PermanentErrorType = {
  /** The campaign row was deleted while its workflow ran. */
  CampaignNotFound: 'CampaignNotFound',
  /** The call record the call workflow writes to is gone (deleted with its campaign or contact). */
  CallRecordNotFound: 'CallRecordNotFound',
  /** The contact was deleted before its call could begin. */
  ContactNotFound: 'ContactNotFound',
} as const;
export type PermanentErrorType = (typeof PermanentErrorType)[keyof typeof PermanentErrorType];

export function permanent(type: PermanentErrorType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** Prisma's "record to update not found" (P2025) and "foreign key violated" (P2003): the row is gone for good. */
export function isMissingRow(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && (err.code === 'P2025' || err.code === 'P2003');
}

/** Runs `f`; a missing-row error becomes a permanent failure of `type`, anything else is rethrown (retried). */
export async function orPermanent<T>(type: PermanentErrorType, message: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (isMissingRow(err)) throw permanent(type, `${message} (${(err as Error).message.split('\n').pop()?.trim()})`);
    throw err;
  }
}

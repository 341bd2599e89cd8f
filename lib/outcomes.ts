// Call outcomes and what follows from each: retry or not, the contact's new status.
export const CALL_OUTCOMES = [
  'lead', 'not_interested', 'callback', 'no_answer', 'busy', 'machine', 'failed', 'opted_out', 'hangup', 'test_completed',
  // A lead put through to an agent live (transfer step), or one no agent took (the call went on to onNoAgent).
  'transferred', 'transfer_failed',
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** Outcomes of a qualified lead: put through to an agent or not, the person is interested (leads export). */
export const LEAD_OUTCOMES = ['lead', 'transferred', 'transfer_failed'] as const satisfies readonly CallOutcome[];

/** Outcomes where nobody was reached: the campaign tries again later, within its retry policy. */
export const RETRYABLE_OUTCOMES: ReadonlySet<CallOutcome> = new Set(['no_answer', 'busy', 'failed', 'machine']);

export interface RetryPolicy {
  maxAttempts: number;
  retryDelaySeconds: number;
}

export type RetryDecision = { retry: true; at: Date } | { retry: false };

export function retryDecision(outcome: CallOutcome, attempt: number, policy: RetryPolicy, now: Date): RetryDecision {
  if (!RETRYABLE_OUTCOMES.has(outcome) || attempt >= policy.maxAttempts) return { retry: false };
  return { retry: true, at: new Date(now.getTime() + policy.retryDelaySeconds * 1000) };
}

export type ContactStatus = 'pending' | 'in_progress' | 'qualified' | 'not_interested' | 'callback' | 'unreachable' | 'opted_out' | 'invalid';

/** The contact's status after a call (`willRetry`: the campaign will call again). */
export function contactStatusAfter(outcome: CallOutcome, willRetry: boolean): ContactStatus {
  switch (outcome) {
    case 'lead':
    case 'transferred':
    case 'transfer_failed':
      return 'qualified';
    case 'not_interested':
    case 'hangup':
      return 'not_interested';
    case 'callback':
      return 'callback';
    case 'opted_out':
      return 'opted_out';
    case 'test_completed':
      return 'pending';
    default:
      return willRetry ? 'pending' : 'unreachable';
  }
}

/** Outcomes that count as the person refusing during the call (60-day rule). */
export function isRefusal(outcome: CallOutcome): boolean {
  return outcome === 'not_interested';
}

// Dial-time legal checks (France). Pure: the caller gathers the facts, this decides.
// - DNC list and opt-outs are never dialed (Bloctel, in-call opt-outs, manual entries).
// - Automated calls need prior consent (L.34-5 CPCE); since 11 August 2026 (law of 30 June 2025) canvassing
//   calls need consent too, unless the person is an existing customer. A campaign explicitly marked
//   non-commercial (service or survey calls) is exempt from the consent rule, not from the others.
// - At most 4 call attempts to one person in 30 days, across all campaigns (D.223-9).
// - No new call within 60 days after the person refused during a call (D.223-9).

export const MAX_ATTEMPTS_PER_30_DAYS = 4;
export const ATTEMPT_WINDOW_DAYS = 30;
export const REFUSAL_COOLDOWN_DAYS = 60;
const DAY_MS = 86_400_000;

export type SkipReason = 'dnc' | 'opted_out' | 'no_consent' | 'max_attempts_30d' | 'refused_recently';

export interface DialFacts {
  inDnc: boolean;
  optOut: boolean;
  consentGivenAt: Date | null;
  existingCustomer: boolean;
  lastRefusalAt: Date | null;
  /** Calls dialed to this contact in the last 30 days, all campaigns together. */
  attemptsLast30Days: number;
}

export type DialDecision = { allowed: true } | { allowed: false; reason: SkipReason; detail: string };

export function dialDecision(f: DialFacts, campaign: { nonCommercial: boolean }, now: Date): DialDecision {
  if (f.inDnc) return { allowed: false, reason: 'dnc', detail: 'number is on the do-not-call list' };
  if (f.optOut) return { allowed: false, reason: 'opted_out', detail: 'contact opted out' };
  if (!campaign.nonCommercial && !f.existingCustomer && !f.consentGivenAt) {
    return { allowed: false, reason: 'no_consent', detail: 'no recorded consent and not an existing customer' };
  }
  if (f.lastRefusalAt && now.getTime() - f.lastRefusalAt.getTime() < REFUSAL_COOLDOWN_DAYS * DAY_MS) {
    return { allowed: false, reason: 'refused_recently', detail: `refused on ${f.lastRefusalAt.toISOString()}, less than ${REFUSAL_COOLDOWN_DAYS} days ago` };
  }
  if (f.attemptsLast30Days >= MAX_ATTEMPTS_PER_30_DAYS) {
    return { allowed: false, reason: 'max_attempts_30d', detail: `${f.attemptsLast30Days} attempts in the last ${ATTEMPT_WINDOW_DAYS} days` };
  }
  return { allowed: true };
}

export function attemptWindowStart(now: Date): Date {
  return new Date(now.getTime() - ATTEMPT_WINDOW_DAYS * DAY_MS);
}

// ---- The basis of a call (law of 30 June 2025: the caller must prove it) ---------------------------------

export type LegalBasis = 'consent' | 'existing_customer' | 'non_commercial';

/** What the contact's record says about consent, as it stands when the call is allowed. */
export interface ConsentRecord {
  consentGivenAt: Date | null;
  consentSource: string | null;
  consentWordingVersion: string | null;
  consentProof: string | null;
  existingCustomer: boolean;
}

export interface BasisEvidence {
  basis: LegalBasis;
  /** Stored with the call (JSON), so that a later edit of the contact cannot rewrite why it was lawful. */
  evidence: {
    consentGivenAt: string | null;
    consentSource: string | null;
    consentWordingVersion: string | null;
    consentProof: string | null;
    existingCustomer: boolean;
  };
}

/**
 * Why an allowed call may be made: a non-commercial campaign needs no consent; otherwise recorded consent
 * (the stronger proof) comes before the existing-customer exemption. Call it only after dialDecision allowed
 * the call; it throws when nothing allows it, which dialDecision rules out.
 */
export function legalBasis(r: ConsentRecord, campaign: { nonCommercial: boolean }): BasisEvidence {
  const evidence = {
    consentGivenAt: r.consentGivenAt?.toISOString() ?? null, consentSource: r.consentSource,
    consentWordingVersion: r.consentWordingVersion, consentProof: r.consentProof, existingCustomer: r.existingCustomer,
  };
  if (campaign.nonCommercial) return { basis: 'non_commercial', evidence };
  if (r.consentGivenAt) return { basis: 'consent', evidence };
  if (r.existingCustomer) return { basis: 'existing_customer', evidence };
  throw new Error('legalBasis: no consent, not an existing customer, commercial campaign (dialDecision refuses this call)');
}

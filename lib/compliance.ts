// Dial-time legal checks (France). Pure: the caller gathers the facts, this decides.
// - DNC list and opt-outs are never dialed (Bloctel, in-call opt-outs, manual entries).
// - Automated calls need prior consent (L.34-5 CPCE); since 11 August 2026 (law of 30 June 2025) canvassing
//   calls need consent too, unless the person is an existing customer. A campaign explicitly marked
//   non-commercial (service or survey calls) is exempt from the consent rule, not from the others.
// - At most 4 call attempts to one person in 30 days, across all campaigns (D.223-9).
// - No new call within 60 days after the person refused during a call (D.223-9).
// - Only inside the campaign's calling window read in the callee's local time and zone, never on a public
//   holiday of the callee's territory (D.223-9 for canvassing; lib/calling-window.ts, lib/holidays.ts).
// One definition of these rules: the claim, the dial-time check (beginCall) and `can-dial` all call
// dialDecision / explainDial.
import { forCallee, localTimeIn, windowState, type CallingWindow } from './calling-window';
import { TERRITORY_NAMES, type Territory } from './holidays';

export const MAX_ATTEMPTS_PER_30_DAYS = 4;
export const ATTEMPT_WINDOW_DAYS = 30;
export const REFUSAL_COOLDOWN_DAYS = 60;
const DAY_MS = 86_400_000;

export type SkipReason = 'dnc' | 'opted_out' | 'no_consent' | 'max_attempts_30d' | 'refused_recently';
/** Rules that only defer a call: the contact is not skipped, it waits for its window to open. */
export type WaitReason = 'outside_local_hours' | 'public_holiday';
export type DialRule = SkipReason | WaitReason;

export interface DialFacts {
  inDnc: boolean;
  optOut: boolean;
  consentGivenAt: Date | null;
  existingCustomer: boolean;
  lastRefusalAt: Date | null;
  /** Calls dialed to this contact in the last 30 days, all campaigns together. */
  attemptsLast30Days: number;
  /** When those attempts were dialed (any order); lets explainDial say when the 30-day rule releases. */
  recentAttemptTimes?: Date[];
  /** The callee's zone and territory (lib/territory.ts calleeOf); needed for the window rules. */
  callee?: { timeZone: string; territory: Territory };
}

export type DialDecision =
  | { allowed: true }
  | { allowed: false; reason: SkipReason; detail: string }
  | { allowed: false; reason: WaitReason; detail: string; nextOpening: Date | null };

export interface DialCampaign {
  nonCommercial: boolean;
  /** The campaign's calling window (null: none, technical campaigns). Checked only with `facts.callee`. */
  window?: CallingWindow | null;
}

export function dialDecision(f: DialFacts, campaign: DialCampaign, now: Date): DialDecision {
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
  return localWindowDecision(campaign.window ?? null, f.callee ?? null, now);
}

/** The window rules alone: may this callee be called at `now`, in its local time? */
export function localWindowDecision(window: CallingWindow | null, callee: { timeZone: string; territory: Territory } | null, now: Date): DialDecision {
  if (!window || !callee) return { allowed: true };
  const st = windowState(forCallee(window, callee), now);
  if (st.open) return { allowed: true };
  const where = `${TERRITORY_NAMES[callee.territory]}, ${callee.timeZone}`;
  const local = st.localTime.slice(0, 19).replace('T', ' ');
  return st.closedBy === 'public_holiday'
    ? { allowed: false, reason: 'public_holiday', detail: `${local} local time is a public holiday: ${st.holiday}`, nextOpening: st.nextOpening }
    : { allowed: false, reason: 'outside_local_hours', detail: `${local} local time (${where}) is outside the calling window`, nextOpening: st.nextOpening };
}

export interface DialExplanation {
  allowed: boolean;
  rule: DialRule | null;
  detail: string;
  timeZone: string;
  territory: Territory;
  localTime: string;
  /** The next instant the contact may be called (ISO 8601 UTC), `at` itself when allowed; null: never. */
  nextAllowedAt: string | null;
}

/**
 * The decision at `at`, explained: which rule blocks, and the next instant every rule allows the call (a
 * refusal's 60 days and the 30-day attempt cap release with time; DNC, opt-out and missing consent never do).
 */
export function explainDial(f: DialFacts & { callee: { timeZone: string; territory: Territory } }, campaign: DialCampaign, at: Date): DialExplanation {
  const d = dialDecision(f, campaign, at);
  const base = { timeZone: f.callee.timeZone, territory: f.callee.territory, localTime: localTimeIn(f.callee.timeZone, at) };
  if (d.allowed) return { ...base, allowed: true, rule: null, detail: 'allowed', nextAllowedAt: at.toISOString() };
  let next: Date | null = null;
  if (d.reason === 'outside_local_hours' || d.reason === 'public_holiday') next = d.nextOpening;
  else if (d.reason === 'refused_recently' || d.reason === 'max_attempts_30d') {
    let t = at.getTime();
    if (f.lastRefusalAt) t = Math.max(t, f.lastRefusalAt.getTime() + REFUSAL_COOLDOWN_DAYS * DAY_MS);
    const times = [...(f.recentAttemptTimes ?? [])].map((x) => x.getTime()).sort((a, b) => a - b);
    if (f.attemptsLast30Days >= MAX_ATTEMPTS_PER_30_DAYS && times.length >= f.attemptsLast30Days) {
      // Allowed again once fewer than 4 remain in the window: when the (n-3)th oldest leaves it.
      t = Math.max(t, times[f.attemptsLast30Days - MAX_ATTEMPTS_PER_30_DAYS]! + ATTEMPT_WINDOW_DAYS * DAY_MS + 1);
    }
    const later = dialDecision({ ...f, lastRefusalAt: null, attemptsLast30Days: 0 }, campaign, new Date(t));
    next = later.allowed ? new Date(t) : 'nextOpening' in later ? later.nextOpening : null;
  }
  return { ...base, allowed: false, rule: d.reason, detail: d.detail, nextAllowedAt: next ? next.toISOString() : null };
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

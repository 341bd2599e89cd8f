// "May we dial this number at that instant, and if not, why and from when?" — for operators (CLI, API).
// Gathers the facts from Postgres and asks the same pure function the claim and the dial-time check use
// (lib/compliance.ts explainDial), so the explanation can never disagree with what a campaign would do.
import type { PrismaClient } from '../prisma/client';
import { FRENCH_LEGAL_WINDOW, type CallingWindow } from '../lib/calling-window';
import { ATTEMPT_WINDOW_DAYS, explainDial, type DialExplanation } from '../lib/compliance';
import { normalizeFrenchPhone } from '../lib/phone';
import { calleeOf, calleeTimeZone } from '../lib/territory';
import { campaignWindow, NotFoundError, ValidationError } from './campaigns';

export interface CanDialInput {
  phone: string;
  /** The instant to judge (default: now). */
  at?: Date;
  /** Judge with this campaign's window and commercial status (default: a commercial campaign, legal window). */
  campaignId?: string;
}

export type CanDialResult = DialExplanation & { phone: string; contactId: string | null; campaignId: string | null; at: string };

export async function canDial(prisma: PrismaClient, input: CanDialInput): Promise<CanDialResult> {
  const at = input.at ?? new Date();
  const p = normalizeFrenchPhone(input.phone);
  if (!p.ok) throw new ValidationError([{ field: 'phone', reason: p.reason }]);
  let window: CallingWindow | null = FRENCH_LEGAL_WINDOW;
  let nonCommercial = false;
  if (input.campaignId) {
    const c = await prisma.campaign.findUnique({ where: { id: input.campaignId } });
    if (!c) throw new NotFoundError(`campaign ${input.campaignId} not found`);
    window = campaignWindow(c); // null: a technical campaign without a window
    nonCommercial = c.nonCommercial;
  }
  const contact = await prisma.contact.findUnique({ where: { phone: p.e164 } });
  const since = new Date(at.getTime() - ATTEMPT_WINDOW_DAYS * 86_400_000);
  const [dnc, recent] = await Promise.all([
    prisma.dncEntry.count({ where: { phone: p.e164 } }),
    contact ? prisma.call.findMany({ where: { contactId: contact.id, dialedAt: { gt: since, lte: at } }, select: { dialedAt: true } }) : [],
  ]);
  const callee = contact
    ? calleeOf({ timeZone: contact.timezone, departement: contact.departement })
    : calleeOf({ timeZone: calleeTimeZone(null, p.country), departement: null });
  const e = explainDial({
    inDnc: dnc > 0, optOut: contact?.optOut ?? false, consentGivenAt: contact?.consentGivenAt ?? null,
    existingCustomer: contact?.existingCustomer ?? false, lastRefusalAt: contact?.lastRefusalAt ?? null,
    attemptsLast30Days: recent.length, recentAttemptTimes: recent.map((r) => r.dialedAt), callee,
  }, { nonCommercial, window }, at);
  const detail = !contact && e.rule === 'no_consent' ? 'no contact with this number: no recorded consent and not an existing customer' : e.detail;
  return { ...e, detail, phone: p.e164, contactId: contact?.id ?? null, campaignId: input.campaignId ?? null, at: at.toISOString() };
}

// Call activities (Postgres): the dial-time check that opens a call record, one record per bot turn, and the
// finalisation that writes the outcome and its consequences (retry, contact status, DNC, refusal date).
// Keyed by the call workflow id (+ turn), so Temporal may retry any of them safely.
import { Prisma, type PrismaClient } from '../prisma/client';
import { attemptWindowStart, dialDecision, legalBasis } from '../lib/compliance';
import type { CallingWindow } from '../lib/calling-window';
import { calleeOf } from '../lib/territory';
import { contactStatusAfter, isRefusal, retryDecision, type CallOutcome } from '../lib/outcomes';
import { ALREADY_DIALED } from '../workflows/definitions';
import { PermanentErrorType, orPermanent, permanent } from './errors';

export interface BeginCallInput {
  workflowId: string;
  campaignId: string;
  campaignContactId: string;
  contactId: string;
  phone: string;
  attempt: number;
  nonCommercial: boolean;
  /** The campaign's window, checked in the callee's local time (absent or null: not checked). */
  window?: CallingWindow | null;
}

/**
 * `already_dialed`: this attempt's call record is already finalised, so this run is a re-run of a finished call
 * workflow (an operator reset): it must not dial again (see cli/README.md, "Resetting a call workflow").
 */
export type BeginCallResult =
  | { allowed: true; callRowId: string }
  | { allowed: false; reason: string; detail: string; requeued?: boolean };

export interface InteractionInput {
  workflowId: string;
  turn: number;
  step: string;
  prompt: string;
  transcript: string | null;
  intent: string | null;
  intentConfidence: number | null;
  asrLatencyMs: number | null;
  intentLatencyMs: number | null;
  bargeInDetected: boolean;
  bargeInLatencyMs: number | null;
  totalLatencyMs: number | null;
  processingMethod: string | null;
  metadata: Record<string, unknown>;
  startedAt: number;
  endedAt: number;
}

export interface FinalizeInput {
  workflowId: string;
  /** The contact: if the call's record is gone, the contact is at least released (never left in_progress). */
  contactId?: string;
  /** The number called: if the call's record is gone, an opt-out still puts it on the DNC list. */
  phone?: string;
  outcome: CallOutcome;
  maxAttempts: number;
  retryDelaySeconds: number;
  amdResult?: string | null;
  amdCause?: string | null;
  hangupCause?: string | null;
  callbackAt?: string | null;
  answeredAt?: number | null;
  endedAt: number;
  optOut: boolean;
}

export interface FinalizeResult {
  outcome: CallOutcome;
  retryAt: number | null;
}

type Tx = Prisma.TransactionClient;

/** Whether the call ends in the callee's opposition (said during the call, or its outcome). */
const optedOut = (input: Pick<FinalizeInput, 'optOut' | 'outcome'>) => input.optOut || input.outcome === 'opted_out';

/** The number on the DNC list, for an opposition heard during this call (idempotent). */
async function putOnDncList(tx: Tx, phone: string, workflowId: string): Promise<void> {
  await tx.dncEntry.upsert({
    where: { phone },
    create: { phone, source: 'opt_out', reason: `opt-out during call ${workflowId}` },
    update: {},
  });
}

/** The callee's opposition when the call's record may be gone: the number on the DNC list, the contact (if it still exists) marked opted out. */
async function recordOpposition(tx: Tx, phone: string, workflowId: string, contactId?: string, extra: Prisma.ContactUpdateManyMutationInput = {}): Promise<void> {
  await putOnDncList(tx, phone, workflowId);
  if (contactId) await tx.contact.updateMany({ where: { id: contactId }, data: { optOut: true, ...extra } });
}

async function applyFinal(tx: Tx, call: { id: string; contactId: string; campaignId: string; attempt: number; phone: string; dialedAt: Date }, input: FinalizeInput): Promise<FinalizeResult> {
  const now = new Date(input.endedAt);
  const decision = retryDecision(input.outcome, call.attempt, { maxAttempts: input.maxAttempts, retryDelaySeconds: input.retryDelaySeconds }, now);
  const answeredAt = input.answeredAt ? new Date(input.answeredAt) : null;
  await tx.call.update({
    where: { id: call.id },
    data: {
      status: input.outcome === 'failed' ? 'failed' : 'completed',
      outcome: input.outcome,
      amdResult: input.amdResult ?? null,
      amdCause: input.amdCause ?? null,
      hangupCause: input.hangupCause ?? null,
      callbackAt: input.callbackAt ? new Date(input.callbackAt) : null,
      answeredAt,
      endedAt: now,
      ringDurationMs: (answeredAt ?? now).getTime() - call.dialedAt.getTime(),
      talkDurationMs: answeredAt ? now.getTime() - answeredAt.getTime() : null,
      totalDurationMs: now.getTime() - call.dialedAt.getTime(),
    },
  });
  await tx.campaignContact.updateMany({
    where: { campaignId: call.campaignId, contactId: call.contactId },
    data: decision.retry
      ? { state: 'retry_wait', nextAttemptAt: decision.at, lastOutcome: input.outcome, claimToken: null }
      : { state: 'done', nextAttemptAt: null, lastOutcome: input.outcome, claimToken: null },
  });
  const contactData: Prisma.ContactUpdateInput = { status: contactStatusAfter(input.outcome, decision.retry) };
  if (isRefusal(input.outcome)) contactData.lastRefusalAt = now;
  if (input.callbackAt) contactData.callbackAt = new Date(input.callbackAt);
  if (optedOut(input)) {
    contactData.optOut = true;
    contactData.status = 'opted_out';
    await putOnDncList(tx, call.phone, input.workflowId);
  }
  await tx.contact.update({ where: { id: call.contactId }, data: contactData });
  return { outcome: input.outcome, retryAt: decision.retry ? decision.at.getTime() : null };
}

export function createCallActivities(deps: { prisma: PrismaClient }) {
  const { prisma } = deps;

  return {
    /**
     * The dial-time check, serialised per contact (row lock) so that two campaigns cannot both pass the
     * 4-calls-in-30-days rule at once; when allowed, opens the call record. Idempotent by workflow id.
     */
    async beginCall(input: BeginCallInput): Promise<BeginCallResult> {
      return orPermanent(PermanentErrorType.CallRecordNotFound, `beginCall ${input.workflowId}: its campaign or contact no longer exists`, () => prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM contacts WHERE id = ${input.contactId}::uuid FOR UPDATE`;
        const existing = await tx.call.findUnique({ where: { workflowId: input.workflowId }, select: { id: true, endedAt: true, outcome: true } });
        // A crash re-runs this activity before the call ended (idempotent: same record). A finalised record means
        // this run is a reset of a finished call workflow: never a second call for the same attempt.
        if (existing?.endedAt) {
          return { allowed: false as const, reason: ALREADY_DIALED, detail: `attempt already dialed and finalised (${existing.outcome ?? 'no outcome'} at ${existing.endedAt.toISOString()})` };
        }
        if (existing) return { allowed: true as const, callRowId: existing.id };
        const cc = await tx.campaignContact.findUnique({ where: { id: BigInt(input.campaignContactId) } });
        if (cc?.state === 'skipped' && cc.skipReason) return { allowed: false as const, reason: cc.skipReason, detail: 'skipped at dial time' };
        const contact = await tx.contact.findUnique({ where: { id: input.contactId } });
        if (!contact) throw permanent(PermanentErrorType.ContactNotFound, `beginCall ${input.workflowId}: contact ${input.contactId} no longer exists`);
        const now = new Date();
        const [inDnc, recent] = await Promise.all([
          tx.dncEntry.count({ where: { phone: contact.phone } }),
          tx.call.count({ where: { contactId: contact.id, dialedAt: { gt: attemptWindowStart(now) } } }),
        ]);
        const d = dialDecision({
          inDnc: inDnc > 0, optOut: contact.optOut, consentGivenAt: contact.consentGivenAt, existingCustomer: contact.existingCustomer,
          lastRefusalAt: contact.lastRefusalAt, attemptsLast30Days: recent,
          callee: calleeOf({ timeZone: contact.timezone, departement: contact.departement }),
        }, { nonCommercial: input.nonCommercial, window: input.window ?? null }, now);
        if (!d.allowed && 'nextOpening' in d && d.nextOpening) {
          // The callee's window closed since the claim: not dialed, the contact waits for its next opening.
          await tx.campaignContact.update({
            where: { id: BigInt(input.campaignContactId) },
            data: { state: 'retry_wait', nextAttemptAt: d.nextOpening, claimToken: null },
          });
          return { allowed: false as const, reason: d.reason, detail: d.detail, requeued: true };
        }
        if (!d.allowed) {
          await tx.campaignContact.update({ where: { id: BigInt(input.campaignContactId) }, data: { state: 'skipped', skipReason: d.reason, claimToken: null } });
          return { allowed: false as const, reason: d.reason, detail: d.detail };
        }
        // The basis that allowed this call, with its evidence, written in the same transaction as the check.
        const basis = legalBasis(contact, { nonCommercial: input.nonCommercial });
        const call = await tx.call.create({
          data: {
            campaignId: input.campaignId, contactId: input.contactId, attempt: input.attempt, workflowId: input.workflowId,
            phone: contact.phone, status: 'dialing', dialedAt: now, legalBasis: basis.basis, basisEvidence: basis.evidence,
          },
        });
        await tx.campaignContact.update({ where: { id: BigInt(input.campaignContactId) }, data: { state: 'in_call', attempts: input.attempt } });
        await tx.contact.update({ where: { id: contact.id }, data: { attempts: { increment: 1 }, lastCalledAt: now, status: 'in_progress' } });
        return { allowed: true as const, callRowId: call.id };
      }));
    },

    async markAnswered(input: { workflowId: string; at: number }): Promise<void> {
      await prisma.call.updateMany({ where: { workflowId: input.workflowId, endedAt: null }, data: { status: 'answered', answeredAt: new Date(input.at) } });
    },

    /** One row per bot turn (upsert on call + turn). */
    async recordInteraction(input: InteractionInput): Promise<void> {
      const call = await prisma.call.findUnique({ where: { workflowId: input.workflowId }, select: { id: true, endedAt: true } });
      if (!call) throw permanent(PermanentErrorType.CallRecordNotFound, `recordInteraction: no call record for ${input.workflowId} (deleted?)`);
      // A finalised call's transcript is history: a reset re-run walking old events never rewrites it.
      if (call.endedAt) return;
      const data = {
        step: input.step,
        prompt: input.prompt,
        transcript: input.transcript,
        intent: input.intent,
        intentConfidence: input.intentConfidence,
        asrLatencyMs: input.asrLatencyMs,
        intentLatencyMs: input.intentLatencyMs,
        bargeInDetected: input.bargeInDetected,
        bargeInLatencyMs: input.bargeInLatencyMs,
        totalLatencyMs: input.totalLatencyMs,
        processingMethod: input.processingMethod,
        streamingMetadata: input.metadata as Prisma.InputJsonValue,
        startedAt: new Date(input.startedAt),
        endedAt: new Date(input.endedAt),
      };
      await orPermanent(PermanentErrorType.CallRecordNotFound, `recordInteraction: call record of ${input.workflowId} deleted`, () =>
        prisma.callInteraction.upsert({
          where: { callId_turn: { callId: call.id, turn: input.turn } },
          create: { callId: call.id, turn: input.turn, ...data },
          update: data,
        }));
    },

    /**
     * The callee opted out during the call: their number goes on the DNC list and the contact is marked,
     * now, before the bot says goodbye and hangs up (finalizeCall repeats it harmlessly). Idempotent.
     * The call's record may be gone (its campaign deleted while the call went on): the opposition stands all the
     * same, with the number and contact the workflow gives. Without them (runs recorded before), it cannot.
     */
    async recordOptOut(input: { workflowId: string; phone?: string; contactId?: string }): Promise<void> {
      await prisma.$transaction(async (tx) => {
        const call = await tx.call.findUnique({ where: { workflowId: input.workflowId }, select: { phone: true, contactId: true } });
        const phone = call?.phone ?? input.phone;
        const contactId = call?.contactId ?? input.contactId;
        if (!phone) throw permanent(PermanentErrorType.CallRecordNotFound, `recordOptOut: no call record for ${input.workflowId}, and no number given`);
        await recordOpposition(tx, phone, input.workflowId, contactId);
      });
    },

    /** Writes the outcome and what follows from it. Idempotent: a finalised call returns its stored result. */
    async finalizeCall(input: FinalizeInput): Promise<FinalizeResult> {
      const done = await orPermanent(PermanentErrorType.CallRecordNotFound, `finalizeCall ${input.workflowId}: its records were deleted`, () => prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM calls WHERE workflow_id = ${input.workflowId} FOR UPDATE`;
        if (!rows[0]) return null;
        const call = await tx.call.findUniqueOrThrow({ where: { id: rows[0].id } });
        if (call.outcome && call.endedAt) {
          const cc = await tx.campaignContact.findUnique({ where: { campaignId_contactId: { campaignId: call.campaignId, contactId: call.contactId } } });
          return { outcome: call.outcome as CallOutcome, retryAt: cc?.state === 'retry_wait' && cc.nextAttemptAt ? cc.nextAttemptAt.getTime() : null };
        }
        return applyFinal(tx, call, input);
      }));
      if (done) return done;
      // Deleted with its campaign: release the contact, so that another campaign may call it; a callee who
      // opposed during the call is on the DNC list and opted out all the same (never called again).
      if (optedOut(input) && input.phone) await prisma.$transaction((tx) => recordOpposition(tx, input.phone!, input.workflowId, input.contactId, { status: 'opted_out' }));
      else if (input.contactId) await prisma.contact.updateMany({ where: { id: input.contactId, status: 'in_progress' }, data: { status: 'pending' } });
      throw permanent(PermanentErrorType.CallRecordNotFound, `finalizeCall: no call record for ${input.workflowId} (deleted with its campaign or contact?)`);
    },

    /**
     * A call workflow closed without finalising (terminated by an operator, or it failed): its record is
     * closed as failed (retried within the policy); a contact that was never dialed goes back to pending, or,
     * with `skipReason` (its call could not even begin, for a reason a retry would meet again), is skipped.
     */
    async abandonCall(input: {
      workflowId: string; campaignId: string; contactId: string; maxAttempts: number; retryDelaySeconds: number; skipReason?: string; hangupCause?: string;
    }): Promise<FinalizeResult | null> {
      return prisma.$transaction(async (tx) => {
        const campaign = await tx.campaign.findUnique({ where: { id: input.campaignId }, select: { id: true } });
        if (!campaign) throw permanent(PermanentErrorType.CampaignNotFound, `campaign ${input.campaignId} no longer exists (deleted while its workflow ran)`);
        const call = await tx.call.findUnique({ where: { workflowId: input.workflowId } });
        if (!call) {
          await tx.campaignContact.updateMany({
            where: { campaignId: input.campaignId, contactId: input.contactId, state: { in: ['queued', 'in_call'] } },
            data: input.skipReason ? { state: 'skipped', skipReason: input.skipReason, claimToken: null } : { state: 'pending', claimToken: null },
          });
          return null;
        }
        if (call.outcome && call.endedAt) return { outcome: call.outcome as CallOutcome, retryAt: null };
        return applyFinal(tx, call, {
          workflowId: input.workflowId, outcome: 'failed', maxAttempts: input.maxAttempts, retryDelaySeconds: input.retryDelaySeconds,
          hangupCause: input.hangupCause ?? 'workflow_closed', endedAt: Date.now(), optOut: false,
        });
      });
    },
  };
}

export type CallActivities = ReturnType<typeof createCallActivities>;

// Campaign activities: enrol contacts, claim the next ones to dial (with the dial-time legal checks),
// release claims on stop, update the campaign's status, reconcile calls the workflow lost track of.
// Every activity is idempotent: safe for Temporal to retry after a crash at any point.
import type { Client } from '@temporalio/client';
import { Prisma, type PrismaClient } from '../prisma/client';
import { attemptWindowStart, dialDecision } from '../lib/compliance';
import type { CallResult, ClaimedContact } from '../workflows/definitions';
import { PermanentErrorType, orPermanent, permanent } from './errors';

const gone = (campaignId: string) =>
  permanent(PermanentErrorType.CampaignNotFound, `campaign ${campaignId} no longer exists (its row was deleted while its workflow ran)`);

export interface ClaimInput {
  campaignId: string;
  /** Unique per claim in the workflow's history: a retried activity returns the same contacts. */
  token: string;
  limit: number;
  nonCommercial: boolean;
}

export interface ClaimResult {
  contacts: ClaimedContact[];
  skipped: { contactId: string; reason: string }[];
  /** Contacts still to be dialed later (retry_wait), and the earliest due time (epoch ms). */
  waitingRetry: number;
  nextDueAt: number | null;
  /** Rows enrolled and not final (pending, queued, in_call, retry_wait). */
  open: number;
}

interface ClaimedRow {
  id: bigint;
  contact_id: string;
  attempts: number;
  state: string;
  skip_reason: string | null;
  phone: string;
  timezone: string;
  opt_out: boolean;
  consent_given_at: Date | null;
  existing_customer: boolean;
  last_refusal_at: Date | null;
  in_dnc: boolean;
  recent_attempts: number;
}

export function createCampaignActivities(deps: { prisma: PrismaClient; client?: Client }) {
  const { prisma } = deps;

  return {
    /** Enrols the campaign's contacts (up to its contact limit). Idempotent. */
    async enrollContacts(input: { campaignId: string }): Promise<{ enrolled: number; total: number }> {
      return prisma.$transaction(async (tx) => {
        const campaign = await tx.campaign.findUnique({ where: { id: input.campaignId } });
        if (!campaign) throw gone(input.campaignId);
        const settings = (campaign.settings ?? {}) as { contactIds?: string[]; departements?: string[]; source?: string };
        const existing = await tx.campaignContact.count({ where: { campaignId: campaign.id } });
        const room = campaign.contactLimit == null ? 1_000_000_000 : Math.max(0, campaign.contactLimit - existing);
        let enrolled = 0;
        if (room > 0) {
          const ids = settings.contactIds?.length ? settings.contactIds : null;
          const deps = settings.departements?.length ? settings.departements : null;
          const source = settings.source ?? null;
          enrolled = await tx.$executeRaw`
            INSERT INTO campaign_contacts (campaign_id, contact_id, state, updated_at)
            SELECT ${campaign.id}::uuid, c.id, 'pending', now()
            FROM contacts c
            WHERE c.status IN ('pending', 'callback')
              AND (${ids}::uuid[] IS NULL OR c.id = ANY(${ids}::uuid[]))
              AND (${deps}::text[] IS NULL OR c.departement = ANY(${deps}::text[]))
              AND (${source}::text IS NULL OR c.source = ${source}::text)
              AND NOT EXISTS (SELECT 1 FROM campaign_contacts x WHERE x.campaign_id = ${campaign.id}::uuid AND x.contact_id = c.id)
            ORDER BY c.created_at, c.id
            LIMIT ${room}
            ON CONFLICT (campaign_id, contact_id) DO NOTHING`;
        }
        return { enrolled, total: existing + enrolled };
      });
    },

    /**
     * Claims up to `limit` contacts that are due (never dialed, or whose retry time has come), applying the
     * dial-time legal checks: those that may not be called are marked skipped with the reason.
     */
    async claimContacts(input: ClaimInput): Promise<ClaimResult> {
      const now = new Date();
      const since = attemptWindowStart(now);
      // Without this, a deleted campaign would look like one with nobody left to call.
      if (!(await prisma.campaign.findUnique({ where: { id: input.campaignId }, select: { id: true } }))) throw gone(input.campaignId);
      const rows = await prisma.$transaction(async (tx) => {
        const already = await tx.$queryRaw<ClaimedRow[]>`
          SELECT cc.id, cc.contact_id, cc.attempts, cc.state::text AS state, cc.skip_reason, c.phone, c.timezone, c.opt_out,
                 c.consent_given_at, c.existing_customer, c.last_refusal_at, false AS in_dnc, 0 AS recent_attempts
          FROM campaign_contacts cc JOIN contacts c ON c.id = cc.contact_id
          WHERE cc.campaign_id = ${input.campaignId}::uuid AND cc.claim_token = ${input.token}
          ORDER BY cc.id`;
        if (already.length > 0) return { fresh: false, rows: already };
        const picked = await tx.$queryRaw<ClaimedRow[]>`
          WITH picked AS (
            SELECT id FROM campaign_contacts
            WHERE campaign_id = ${input.campaignId}::uuid
              AND (state = 'pending' OR (state = 'retry_wait' AND next_attempt_at <= ${now}))
            ORDER BY id
            LIMIT ${input.limit}
            FOR UPDATE SKIP LOCKED
          ), claimed AS (
            UPDATE campaign_contacts cc SET state = 'queued', claim_token = ${input.token}, updated_at = now()
            FROM picked WHERE cc.id = picked.id
            RETURNING cc.id, cc.contact_id, cc.attempts
          )
          SELECT cl.id, cl.contact_id, cl.attempts, 'queued' AS state, NULL::text AS skip_reason, c.phone, c.timezone, c.opt_out,
                 c.consent_given_at, c.existing_customer, c.last_refusal_at,
                 EXISTS (SELECT 1 FROM dnc_entries d WHERE d.phone = c.phone) AS in_dnc,
                 (SELECT count(*)::int FROM calls k WHERE k.contact_id = c.id AND k.dialed_at > ${since}) AS recent_attempts
          FROM claimed cl JOIN contacts c ON c.id = cl.contact_id
          ORDER BY cl.id`;
        for (const r of picked) {
          const d = dialDecision({
            inDnc: r.in_dnc, optOut: r.opt_out, consentGivenAt: r.consent_given_at, existingCustomer: r.existing_customer,
            lastRefusalAt: r.last_refusal_at, attemptsLast30Days: Number(r.recent_attempts),
          }, { nonCommercial: input.nonCommercial }, now);
          if (!d.allowed) {
            r.state = 'skipped';
            r.skip_reason = d.reason;
            await tx.$executeRaw`UPDATE campaign_contacts SET state = 'skipped', skip_reason = ${d.reason}, updated_at = now() WHERE id = ${r.id}`;
          }
        }
        return { fresh: true, rows: picked };
      });
      const stats = await prisma.$queryRaw<{ open: number; waiting: number; next_due: Date | null }[]>`
        SELECT count(*) FILTER (WHERE state IN ('pending', 'queued', 'in_call', 'retry_wait'))::int AS open,
               count(*) FILTER (WHERE state = 'retry_wait')::int AS waiting,
               min(next_attempt_at) FILTER (WHERE state = 'retry_wait') AS next_due
        FROM campaign_contacts WHERE campaign_id = ${input.campaignId}::uuid`;
      const s = stats[0]!;
      return {
        contacts: rows.rows
          .filter((r) => r.state !== 'skipped')
          .map((r) => ({ campaignContactId: String(r.id), contactId: r.contact_id, phone: r.phone, attempt: r.attempts + 1, timeZone: r.timezone })),
        skipped: rows.rows.filter((r) => r.state === 'skipped').map((r) => ({ contactId: r.contact_id, reason: r.skip_reason ?? 'unknown' })),
        waitingRetry: s.waiting,
        nextDueAt: s.next_due ? s.next_due.getTime() : null,
        open: s.open,
      };
    },

    /** Gives claimed-but-not-dialed contacts back (campaign stopped). Idempotent. */
    async releaseClaims(input: { campaignId: string; campaignContactIds: string[] }): Promise<number> {
      if (input.campaignContactIds.length === 0) return 0;
      const ids = input.campaignContactIds.map((x) => BigInt(x));
      return prisma.$executeRaw`
        UPDATE campaign_contacts SET state = 'pending', claim_token = NULL, updated_at = now()
        WHERE campaign_id = ${input.campaignId}::uuid AND state = 'queued' AND id = ANY(${ids}::bigint[])`;
    },

    async setCampaignStatus(input: { campaignId: string; status: 'running' | 'paused' | 'stopped' | 'completed'; workflowId?: string }): Promise<void> {
      const data: Prisma.CampaignUpdateInput = { status: input.status };
      if (input.status === 'running') data.startedAt = undefined;
      if (input.status === 'stopped' || input.status === 'completed') data.endedAt = new Date();
      if (input.workflowId) data.workflowId = input.workflowId;
      await orPermanent(PermanentErrorType.CampaignNotFound, `campaign ${input.campaignId} no longer exists`, () => prisma.$transaction(async (tx) => {
        await tx.campaign.update({ where: { id: input.campaignId }, data });
        if (input.status === 'running') {
          await tx.$executeRaw`UPDATE campaigns SET started_at = COALESCE(started_at, now()) WHERE id = ${input.campaignId}::uuid`;
        }
      }));
    },

    /**
     * For calls the campaign has been waiting on for too long: asks Temporal whether they are still running,
     * and returns the result of those that have closed (their completion signal was lost, or the call was
     * terminated by an operator).
     */
    async reconcileCalls(input: { workflowIds: string[] }): Promise<{ workflowId: string; closed: boolean; result: CallResult | null }[]> {
      if (!deps.client) throw new Error('reconcileCalls needs a Temporal client');
      const client = deps.client;
      return Promise.all(
        input.workflowIds.map(async (workflowId) => {
          const h = client.workflow.getHandle(workflowId);
          const d = await h.describe();
          if (d.status.name === 'RUNNING') return { workflowId, closed: false, result: null };
          let result: CallResult | null = null;
          if (d.status.name === 'COMPLETED') result = (await h.result()) as CallResult;
          return { workflowId, closed: true, result };
        }),
      );
    },
  };
}

export type CampaignActivities = ReturnType<typeof createCampaignActivities>;

// Campaign activities: enrol contacts, claim the next ones to dial (with the dial-time legal checks),
// release claims on stop, update the campaign's status, reconcile calls the workflow lost track of.
// Every activity is idempotent: safe for Temporal to retry after a crash at any point.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { Prisma, type PrismaClient } from '../prisma/client';
import { attemptWindowStart, dialDecision, localWindowDecision } from '../lib/compliance';
import type { CallingWindow } from '../lib/calling-window';
import { calleeOf, calleeOfGroup } from '../lib/territory';
import type { CallResult, ClaimedContact, ZoneWait } from '../workflows/definitions';
import { PermanentErrorType, orPermanent, permanent } from './errors';
import type { Scenario } from '../lib/scenario';
import { compiledScenario, ScenarioError, type ScenarioFolders } from '../services/scenarios';
import { config } from '../runtime/config';

const gone = (campaignId: string) =>
  permanent(PermanentErrorType.CampaignNotFound, `campaign ${campaignId} no longer exists (its row was deleted while its workflow ran)`);

export interface ClaimInput {
  campaignId: string;
  /** Unique per claim in the workflow's history: a retried activity returns the same contacts. */
  token: string;
  limit: number;
  nonCommercial: boolean;
  /**
   * The campaign's calling window, read in each callee's local time: contacts whose window is closed are not
   * claimed (they wait). Absent: no per-callee check (runs started before this rule, technical campaigns).
   */
  window?: CallingWindow | null;
}

export interface ClaimResult {
  contacts: ClaimedContact[];
  skipped: { contactId: string; reason: string }[];
  /** Contacts still to be dialed later (retry_wait), and the earliest due time (epoch ms). */
  waitingRetry: number;
  nextDueAt: number | null;
  /** Rows enrolled and not final (pending, queued, in_call, retry_wait). */
  open: number;
  /** Due contacts not claimed because their local window is closed, per zone, with its next opening. */
  waitingWindow?: ZoneWait[];
  /** The earliest of those openings (epoch ms), null when none waits. */
  nextWindowOpening?: number | null;
}

interface ClaimedRow {
  id: bigint;
  contact_id: string;
  attempts: number;
  state: string;
  skip_reason: string | null;
  phone: string;
  timezone: string;
  departement: string | null;
  opt_out: boolean;
  consent_given_at: Date | null;
  existing_customer: boolean;
  last_refusal_at: Date | null;
  in_dnc: boolean;
  recent_attempts: number;
}

export function createCampaignActivities(deps: { prisma: PrismaClient; client?: Client; scenarios?: ScenarioFolders }) {
  const { prisma } = deps;

  return {
    /**
     * The scenario's graph compiled from its file now, for the next calls' input. A file that no longer
     * compiles (an edit in progress) is reported, not thrown: the campaign keeps the graph it has.
     */
    async scenarioGraph(input: { name: string }): Promise<{ scenario: Scenario | null; error?: string }> {
      try {
        return { scenario: compiledScenario(deps.scenarios ?? config(), input.name) };
      } catch (e) {
        if (e instanceof ScenarioError) return { scenario: null, error: e.message };
        throw e;
      }
    },

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
      const window = input.window ?? null;
      const waits: ZoneWait[] = [];
      const rows = await prisma.$transaction(async (tx) => {
        const already = await tx.$queryRaw<ClaimedRow[]>`
          SELECT cc.id, cc.contact_id, cc.attempts, cc.state::text AS state, cc.skip_reason, c.phone, c.timezone, c.departement, c.opt_out,
                 c.consent_given_at, c.existing_customer, c.last_refusal_at, false AS in_dnc, 0 AS recent_attempts
          FROM campaign_contacts cc JOIN contacts c ON c.id = cc.contact_id
          WHERE cc.campaign_id = ${input.campaignId}::uuid AND cc.claim_token = ${input.token}
          ORDER BY cc.id`;
        if (already.length > 0) return { fresh: false, rows: already, neverOpen: [] as string[] };
        // The local window, per group of due contacts sharing a zone (and Alsace-Moselle's holidays): only the
        // open groups are claimed; the others wait for their opening (never: skipped, they cannot be called).
        let openTz: string[] | null = null;
        let openAm: boolean[] | null = null;
        const neverOpen: string[] = [];
        if (window) {
          const groups = await tx.$queryRaw<{ timezone: string; am: boolean; n: number }[]>`
            SELECT c.timezone, COALESCE(c.departement IN ('57', '67', '68'), false) AS am, count(*)::int AS n
            FROM campaign_contacts cc JOIN contacts c ON c.id = cc.contact_id
            WHERE cc.campaign_id = ${input.campaignId}::uuid
              AND (cc.state = 'pending' OR (cc.state = 'retry_wait' AND cc.next_attempt_at <= ${now}))
            GROUP BY 1, 2 ORDER BY 1, 2`;
          openTz = [];
          openAm = [];
          for (const g of groups) {
            const callee = calleeOfGroup(g.timezone, g.am);
            const d = localWindowDecision(window, callee, now);
            if (d.allowed) {
              openTz.push(g.timezone);
              openAm.push(g.am);
            } else if ('nextOpening' in d && d.nextOpening) {
              waits.push({ timeZone: callee.timeZone, territory: callee.territory, contacts: g.n, nextOpening: d.nextOpening.toISOString() });
            } else {
              neverOpen.push(...(await tx.$queryRaw<{ contact_id: string }[]>`
                UPDATE campaign_contacts cc SET state = 'skipped', skip_reason = 'outside_local_hours', updated_at = now()
                FROM contacts c
                WHERE c.id = cc.contact_id AND cc.campaign_id = ${input.campaignId}::uuid
                  AND (cc.state = 'pending' OR (cc.state = 'retry_wait' AND cc.next_attempt_at <= ${now}))
                  AND c.timezone = ${g.timezone} AND COALESCE(c.departement IN ('57', '67', '68'), false) = ${g.am}
                RETURNING cc.contact_id`).map((r) => r.contact_id));
            }
          }
        }
        const picked = await tx.$queryRaw<ClaimedRow[]>`
          WITH picked AS (
            SELECT cc.id FROM campaign_contacts cc JOIN contacts c ON c.id = cc.contact_id
            WHERE cc.campaign_id = ${input.campaignId}::uuid
              AND (cc.state = 'pending' OR (cc.state = 'retry_wait' AND cc.next_attempt_at <= ${now}))
              AND (${openTz}::text[] IS NULL OR EXISTS (
                SELECT 1 FROM unnest(${openTz}::text[], ${openAm}::boolean[]) AS g(tz, am)
                WHERE g.tz = c.timezone AND g.am = COALESCE(c.departement IN ('57', '67', '68'), false)))
            ORDER BY cc.id
            LIMIT ${input.limit}
            FOR UPDATE OF cc SKIP LOCKED
          ), claimed AS (
            UPDATE campaign_contacts cc SET state = 'queued', claim_token = ${input.token}, updated_at = now()
            FROM picked WHERE cc.id = picked.id
            RETURNING cc.id, cc.contact_id, cc.attempts
          )
          SELECT cl.id, cl.contact_id, cl.attempts, 'queued' AS state, NULL::text AS skip_reason, c.phone, c.timezone, c.departement, c.opt_out,
                 c.consent_given_at, c.existing_customer, c.last_refusal_at,
                 EXISTS (SELECT 1 FROM dnc_entries d WHERE d.phone = c.phone) AS in_dnc,
                 (SELECT count(*)::int FROM calls k WHERE k.contact_id = c.id AND k.dialed_at > ${since}) AS recent_attempts
          FROM claimed cl JOIN contacts c ON c.id = cl.contact_id
          ORDER BY cl.id`;
        for (const r of picked) {
          const d = dialDecision({
            inDnc: r.in_dnc, optOut: r.opt_out, consentGivenAt: r.consent_given_at, existingCustomer: r.existing_customer,
            lastRefusalAt: r.last_refusal_at, attemptsLast30Days: Number(r.recent_attempts),
            callee: calleeOf({ timeZone: r.timezone, departement: r.departement }),
          }, { nonCommercial: input.nonCommercial, window }, now);
          if (!d.allowed && 'nextOpening' in d) {
            // Its group was open a moment ago: give it back to wait for its opening (not skipped).
            r.state = 'waiting';
            await tx.$executeRaw`UPDATE campaign_contacts SET state = 'retry_wait', next_attempt_at = ${d.nextOpening ?? now}, claim_token = NULL, updated_at = now() WHERE id = ${r.id}`;
          } else if (!d.allowed) {
            r.state = 'skipped';
            r.skip_reason = d.reason;
            await tx.$executeRaw`UPDATE campaign_contacts SET state = 'skipped', skip_reason = ${d.reason}, updated_at = now() WHERE id = ${r.id}`;
          }
        }
        return { fresh: true, rows: picked.filter((r) => r.state !== 'waiting'), neverOpen };
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
        skipped: [
          ...rows.neverOpen.map((contactId) => ({ contactId, reason: 'outside_local_hours' })),
          ...rows.rows.filter((r) => r.state === 'skipped').map((r) => ({ contactId: r.contact_id, reason: r.skip_reason ?? 'unknown' })),
        ],
        waitingRetry: s.waiting,
        nextDueAt: s.next_due ? s.next_due.getTime() : null,
        open: s.open,
        ...(window ? {
          waitingWindow: waits,
          nextWindowOpening: waits.length ? Math.min(...waits.map((w) => Date.parse(w.nextOpening!))) : null,
        } : {}),
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
      // One RPC or two per call, for up to every call in progress: each answer heartbeats (progress, and the
      // way a cancellation reaches this activity), and a cancellation aborts the RPCs still pending.
      const ctx = Context.current();
      let answered = 0;
      const states = await client.withAbortSignal(ctx.cancellationSignal, () => Promise.all(
        input.workflowIds.map(async (workflowId) => {
          const h = client.workflow.getHandle(workflowId);
          const d = await h.describe();
          ctx.heartbeat({ answered: ++answered });
          if (d.status.name === 'RUNNING') return { workflowId, closed: false, result: null };
          let result: CallResult | null = null;
          if (d.status.name === 'COMPLETED') result = (await h.result()) as CallResult;
          return { workflowId, closed: true, result };
        }),
      ));
      const closed = states.filter((s) => s.closed).map((s) => s.workflowId);
      if (closed.length) ctx.log.info('reconciled calls that closed without reporting', { asked: states.length, closed });
      return states;
    },
  };
}

export type CampaignActivities = ReturnType<typeof createCampaignActivities>;

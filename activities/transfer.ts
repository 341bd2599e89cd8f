// Live-transfer activities (Postgres): the slot a transfer takes among the campaign's agents, and what the
// transfer did (agent leg, the callee's wait, the talk time). Keyed by the call workflow id: safe to retry.
//
// The cap (campaigns.max_transfers, default 1): transfers in progress are the campaign's calls that began a
// transfer, have not ended it, and are not over. Counted under the campaign row's lock, so two leads reaching
// their transfer step at once cannot both take the last agent. A lead beyond the cap goes to onNoAgent at once:
// no more interested callees wait on hold than there are agents to take them.
import type { PrismaClient } from '../prisma/client';
import { PermanentErrorType, permanent } from './errors';

export type TransferClaim =
  | { granted: true; agent: string }
  | { granted: false; reason: 'no_agent' | 'agents_busy'; inProgress: number; max: number };

export interface TransferRecord {
  workflowId: string;
  agentLeg?: string;
  answeredAt?: number | null;
  waitMs?: number;
  talkMs?: number | null;
  endedAt?: number;
}

export function createTransferActivities(deps: { prisma: PrismaClient }) {
  const { prisma } = deps;
  return {
    async claimTransfer(input: { workflowId: string; now: number }): Promise<TransferClaim> {
      return prisma.$transaction(async (tx) => {
        const call = await tx.call.findUnique({
          where: { workflowId: input.workflowId },
          select: { id: true, campaignId: true, transferStartedAt: true, transferEndedAt: true },
        });
        if (!call) throw permanent(PermanentErrorType.CallRecordNotFound, `claimTransfer: no call record for ${input.workflowId} (deleted?)`);
        await tx.$queryRaw`SELECT id FROM campaigns WHERE id = ${call.campaignId}::uuid FOR UPDATE`;
        const campaign = await tx.campaign.findUnique({ where: { id: call.campaignId }, select: { agent: true, maxTransfers: true } });
        if (!campaign) throw permanent(PermanentErrorType.CampaignNotFound, `claimTransfer: campaign ${call.campaignId} deleted`);
        const max = campaign.maxTransfers ?? 1;
        if (!campaign.agent) return { granted: false, reason: 'no_agent', inProgress: 0, max };
        // A retry of a claim that went through (its answer lost): the slot is this call's already.
        if (call.transferStartedAt && !call.transferEndedAt) return { granted: true, agent: campaign.agent };
        const inProgress = await tx.call.count({
          where: { campaignId: call.campaignId, id: { not: call.id }, transferStartedAt: { not: null }, transferEndedAt: null, endedAt: null },
        });
        if (inProgress >= max) return { granted: false, reason: 'agents_busy', inProgress, max };
        await tx.call.update({ where: { id: call.id }, data: { transferStartedAt: new Date(input.now), transferEndedAt: null } });
        return { granted: true, agent: campaign.agent };
      });
    },

    /** Writes what is known of the transfer so far; `endedAt` frees its slot. */
    async recordTransfer(input: TransferRecord): Promise<void> {
      await prisma.call.updateMany({
        where: { workflowId: input.workflowId },
        data: {
          ...(input.agentLeg !== undefined ? { transferAgentLeg: input.agentLeg } : {}),
          ...(input.answeredAt !== undefined ? { transferAnsweredAt: input.answeredAt === null ? null : new Date(input.answeredAt) } : {}),
          ...(input.waitMs !== undefined ? { transferWaitMs: input.waitMs } : {}),
          ...(input.talkMs !== undefined ? { transferTalkMs: input.talkMs } : {}),
          ...(input.endedAt !== undefined ? { transferEndedAt: new Date(input.endedAt) } : {}),
        },
      });
    },
  };
}

export type TransferActivities = ReturnType<typeof createTransferActivities>;

-- Live transfer of a lead to an agent (issue 13, item 4).

-- Outcomes of a transfer step.
ALTER TYPE "call_outcome" ADD VALUE 'transferred';
ALTER TYPE "call_outcome" ADD VALUE 'transfer_failed';

-- The campaign's agent destination ({agent} of AGENT_DIAL_TEMPLATE) and how many transfers may be in progress
-- at once (its number of agents), so that no more interested callees wait than there are agents.
ALTER TABLE "campaigns" ADD COLUMN "agent" TEXT;
ALTER TABLE "campaigns" ADD COLUMN "max_transfers" INTEGER;

-- What the transfer of a call did: the agent leg, its times, the callee's wait and the talk time.
ALTER TABLE "calls" ADD COLUMN "transfer_agent_leg" TEXT;
ALTER TABLE "calls" ADD COLUMN "transfer_started_at" TIMESTAMPTZ(3);
ALTER TABLE "calls" ADD COLUMN "transfer_answered_at" TIMESTAMPTZ(3);
ALTER TABLE "calls" ADD COLUMN "transfer_ended_at" TIMESTAMPTZ(3);
ALTER TABLE "calls" ADD COLUMN "transfer_wait_ms" INTEGER;
ALTER TABLE "calls" ADD COLUMN "transfer_talk_ms" INTEGER;


-- CreateEnum
CREATE TYPE "contact_status" AS ENUM ('pending', 'in_progress', 'qualified', 'not_interested', 'callback', 'unreachable', 'opted_out', 'invalid');

-- CreateEnum
CREATE TYPE "campaign_status" AS ENUM ('draft', 'running', 'paused', 'stopped', 'completed');

-- CreateEnum
CREATE TYPE "campaign_contact_state" AS ENUM ('pending', 'queued', 'in_call', 'retry_wait', 'done', 'skipped');

-- CreateEnum
CREATE TYPE "call_status" AS ENUM ('dialing', 'ringing', 'answered', 'completed', 'failed', 'skipped');

-- CreateEnum
CREATE TYPE "call_outcome" AS ENUM ('lead', 'not_interested', 'callback', 'no_answer', 'busy', 'machine', 'failed', 'opted_out', 'hangup', 'test_completed');

-- CreateEnum
CREATE TYPE "dnc_source" AS ENUM ('opt_out', 'bloctel', 'manual');

-- CreateTable
CREATE TABLE "contacts" (
    "id" UUID NOT NULL,
    "last_name" TEXT,
    "first_name" TEXT,
    "phone" TEXT NOT NULL,
    "email" TEXT,
    "status" "contact_status" NOT NULL DEFAULT 'pending',
    "departement" TEXT,
    "region" TEXT,
    "timezone" TEXT NOT NULL DEFAULT 'Europe/Paris',
    "source" TEXT,
    "opt_out" BOOLEAN NOT NULL DEFAULT false,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_called_at" TIMESTAMPTZ(3),
    "consent_given_at" TIMESTAMPTZ(3),
    "consent_source" TEXT,
    "consent_proof" TEXT,
    "existing_customer" BOOLEAN NOT NULL DEFAULT false,
    "last_refusal_at" TIMESTAMPTZ(3),
    "callback_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "contacts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "campaigns" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "scenario" TEXT NOT NULL DEFAULT 'production',
    "status" "campaign_status" NOT NULL DEFAULT 'draft',
    "window_start" TEXT NOT NULL DEFAULT '10:00',
    "window_end" TEXT NOT NULL DEFAULT '20:00',
    "window_break_start" TEXT DEFAULT '13:00',
    "window_break_end" TEXT DEFAULT '14:00',
    "allowed_days" INTEGER[] DEFAULT ARRAY[1, 2, 3, 4, 5]::INTEGER[],
    "timezone" TEXT NOT NULL DEFAULT 'Europe/Paris',
    "exclude_holidays" BOOLEAN NOT NULL DEFAULT true,
    "max_concurrent_calls" INTEGER NOT NULL DEFAULT 3,
    "contact_limit" INTEGER,
    "max_attempts" INTEGER NOT NULL DEFAULT 3,
    "retry_delay_seconds" INTEGER NOT NULL DEFAULT 3600,
    "non_commercial" BOOLEAN NOT NULL DEFAULT false,
    "machine_policy" TEXT NOT NULL DEFAULT 'hangup',
    "record_calls" BOOLEAN NOT NULL DEFAULT false,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "workflow_id" TEXT,
    "started_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "campaigns_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "campaign_contacts" (
    "id" BIGSERIAL NOT NULL,
    "campaign_id" UUID NOT NULL,
    "contact_id" UUID NOT NULL,
    "state" "campaign_contact_state" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3),
    "claim_token" TEXT,
    "last_outcome" "call_outcome",
    "skip_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "campaign_contacts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "calls" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "contact_id" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "phone" TEXT NOT NULL,
    "status" "call_status" NOT NULL DEFAULT 'dialing',
    "outcome" "call_outcome",
    "amd_result" TEXT,
    "amd_cause" TEXT,
    "hangup_cause" TEXT,
    "callback_at" TIMESTAMPTZ(3),
    "recording_path" TEXT,
    "dialed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ringing_at" TIMESTAMPTZ(3),
    "answered_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "ring_duration_ms" INTEGER,
    "talk_duration_ms" INTEGER,
    "total_duration_ms" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "calls_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "call_interactions" (
    "id" UUID NOT NULL,
    "call_id" UUID NOT NULL,
    "turn" INTEGER NOT NULL,
    "step" TEXT NOT NULL,
    "prompt" TEXT,
    "transcript" TEXT,
    "intent" VARCHAR(50),
    "intent_confidence" DOUBLE PRECISION,
    "asr_latency_ms" DOUBLE PRECISION,
    "intent_latency_ms" DOUBLE PRECISION,
    "barge_in_detected" BOOLEAN NOT NULL DEFAULT false,
    "barge_in_latency_ms" DOUBLE PRECISION,
    "total_latency_ms" DOUBLE PRECISION,
    "processing_method" VARCHAR(40),
    "streaming_metadata" JSONB,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "call_interactions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dnc_entries" (
    "id" UUID NOT NULL,
    "phone" TEXT NOT NULL,
    "source" "dnc_source" NOT NULL,
    "reason" TEXT,
    "added_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dnc_entries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "contacts_phone_key" ON "contacts"("phone");

-- CreateIndex
CREATE INDEX "contacts_status_created_at_idx" ON "contacts"("status", "created_at");

-- CreateIndex
CREATE INDEX "contacts_departement_idx" ON "contacts"("departement");

-- CreateIndex
CREATE UNIQUE INDEX "campaigns_workflow_id_key" ON "campaigns"("workflow_id");

-- CreateIndex
CREATE INDEX "campaigns_status_idx" ON "campaigns"("status");

-- CreateIndex
CREATE INDEX "campaign_contacts_campaign_id_state_next_attempt_at_id_idx" ON "campaign_contacts"("campaign_id", "state", "next_attempt_at", "id");

-- CreateIndex
CREATE INDEX "campaign_contacts_claim_token_idx" ON "campaign_contacts"("claim_token");

-- CreateIndex
CREATE UNIQUE INDEX "campaign_contacts_campaign_id_contact_id_key" ON "campaign_contacts"("campaign_id", "contact_id");

-- CreateIndex
CREATE UNIQUE INDEX "calls_workflow_id_key" ON "calls"("workflow_id");

-- CreateIndex
CREATE INDEX "calls_contact_id_dialed_at_idx" ON "calls"("contact_id", "dialed_at");

-- CreateIndex
CREATE INDEX "calls_status_idx" ON "calls"("status");

-- CreateIndex
CREATE INDEX "calls_campaign_id_outcome_idx" ON "calls"("campaign_id", "outcome");

-- CreateIndex
CREATE UNIQUE INDEX "calls_campaign_id_contact_id_attempt_key" ON "calls"("campaign_id", "contact_id", "attempt");

-- CreateIndex
CREATE INDEX "call_interactions_intent_idx" ON "call_interactions"("intent");

-- CreateIndex
CREATE UNIQUE INDEX "call_interactions_call_id_turn_key" ON "call_interactions"("call_id", "turn");

-- CreateIndex
CREATE UNIQUE INDEX "dnc_entries_phone_key" ON "dnc_entries"("phone");

-- AddForeignKey
ALTER TABLE "campaign_contacts" ADD CONSTRAINT "campaign_contacts_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "campaign_contacts" ADD CONSTRAINT "campaign_contacts_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "calls" ADD CONSTRAINT "calls_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "calls" ADD CONSTRAINT "calls_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "call_interactions" ADD CONSTRAINT "call_interactions_call_id_fkey" FOREIGN KEY ("call_id") REFERENCES "calls"("id") ON DELETE CASCADE ON UPDATE CASCADE;

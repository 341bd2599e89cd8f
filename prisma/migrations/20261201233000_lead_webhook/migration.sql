-- Per-campaign CRM webhook: each lead is POSTed to the campaign's URL, signed with its secret (HMAC-SHA256).
-- The secret is stored so that the delivery activity can sign; the API never returns it.
ALTER TABLE "campaigns" ADD COLUMN "lead_webhook_url" TEXT;
ALTER TABLE "campaigns" ADD COLUMN "lead_webhook_secret" TEXT;

CREATE TYPE "lead_delivery_state" AS ENUM ('pending', 'retrying', 'delivered', 'failed');

-- One delivery per lead (call): its state, kept after the retries are exhausted so that nothing is lost silently.
CREATE TABLE "lead_deliveries" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "call_id" UUID NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "state" "lead_delivery_state" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_status" INTEGER,
    "last_error" TEXT,
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "lead_deliveries_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "lead_deliveries_call_id_key" ON "lead_deliveries"("call_id");
CREATE UNIQUE INDEX "lead_deliveries_idempotency_key_key" ON "lead_deliveries"("idempotency_key");
CREATE INDEX "lead_deliveries_campaign_id_state_idx" ON "lead_deliveries"("campaign_id", "state");
ALTER TABLE "lead_deliveries" ADD CONSTRAINT "lead_deliveries_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "lead_deliveries" ADD CONSTRAINT "lead_deliveries_call_id_fkey" FOREIGN KEY ("call_id") REFERENCES "calls"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Every HTTP attempt of a delivery (Temporal activity attempt n), with what the receiver answered.
CREATE TABLE "lead_delivery_attempts" (
    "id" BIGSERIAL NOT NULL,
    "delivery_id" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "http_status" INTEGER,
    "error" TEXT,
    "duration_ms" INTEGER NOT NULL,
    "attempted_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "lead_delivery_attempts_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "lead_delivery_attempts_delivery_id_attempt_key" ON "lead_delivery_attempts"("delivery_id", "attempt");
ALTER TABLE "lead_delivery_attempts" ADD CONSTRAINT "lead_delivery_attempts_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "lead_deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Consent you can prove (law of 30 June 2025: the caller bears the burden of proof), the basis of every call,
-- and the caller ID a campaign presents (ARCEP decision 2022-1583).

-- The wording the person consented to (version of the form text or script), next to when and where.
ALTER TABLE "contacts" ADD COLUMN "consent_wording_version" TEXT;

-- What allowed each call, with the evidence as it stood at dial time (copied, so later edits of the
-- contact cannot rewrite why a past call was lawful).
CREATE TYPE "legal_basis" AS ENUM ('consent', 'existing_customer', 'non_commercial');
ALTER TABLE "calls" ADD COLUMN "legal_basis" "legal_basis";
ALTER TABLE "calls" ADD COLUMN "basis_evidence" JSONB;

-- The number a campaign presents (E.164); none = the trunk's SIP_TRUNK_CALLER_ID.
ALTER TABLE "campaigns" ADD COLUMN "caller_id" TEXT;

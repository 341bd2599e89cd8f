// Custom search attributes (registered by the dev stack; see scripts/services/temporal.ts), so the Web UI
// can filter: CampaignId = "…", CallOutcome = "lead", …
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CampaignIdKey = defineSearchAttributeKey('CampaignId', SearchAttributeType.KEYWORD);
export const ContactIdKey = defineSearchAttributeKey('ContactId', SearchAttributeType.KEYWORD);
export const CallOutcomeKey = defineSearchAttributeKey('CallOutcome', SearchAttributeType.KEYWORD);
export const ScenarioKey = defineSearchAttributeKey('Scenario', SearchAttributeType.KEYWORD);

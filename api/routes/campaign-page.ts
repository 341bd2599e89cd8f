// What the dashboard's campaign page reads: the campaign's calls (filter by outcome, search by number), its
// scenario graph with the traffic of each edge, and its leads as a file to download (the CLI export's bytes).
import { z } from 'zod';
import type { Prisma } from '../../prisma/client';
import { CALL_OUTCOMES } from '../../lib/outcomes';
import { getScenario } from '../../lib/scenario';
import { findScenario } from '../../services/scenarios';
import { scenarioTraffic, type RecordedCall } from '../../lib/scenario-graph';
import { leadExportChunks } from '../../services/leads';
import { route, type AnyRoute } from '../http/routes';
import { notFound } from '../http/errors';
import { idParam, iso, limit, sinceQuery, type Deps } from './common';

const callItem = z.object({
  id: z.string(), phone: z.string(), contact_name: z.string().nullable(), attempt: z.number().int(),
  status: z.enum(['dialing', 'ringing', 'answered', 'completed', 'failed', 'skipped']), outcome: z.enum(CALL_OUTCOMES).nullable(),
  dialed_at: z.string(), answered_at: z.string().nullable(), ended_at: z.string().nullable(),
  talk_duration_ms: z.number().int().nullable(), turns: z.number().int(), recording: z.string().nullable().describe('GET path of the recording, when there is one'),
});
const callsAnswer = z.object({ campaign_id: z.string(), total: z.number().int(), limit: z.number().int(), offset: z.number().int(), items: z.array(callItem) });

const scenarioAnswer = z.object({
  campaign_id: z.string(),
  scenario: z.object({ name: z.string(), description: z.string(), start: z.string() }),
  calls: z.number().int().describe('Calls with at least one answered turn'),
  unmatched: z.number().int().describe('Calls with a transition the current graph does not have (the scenario changed since)'),
  steps: z.array(z.object({ id: z.string(), prompt: z.string(), listen: z.boolean(), end: z.string().nullable(), calls: z.number().int().describe('Calls that reached this step') })),
  edges: z.array(z.object({
    from: z.string(), to: z.string().nullable().describe('null: the bot hangs up'),
    on: z.array(z.string()).describe('Events taking this edge: intents, silence, otherwise, retries_exhausted, end, no_agent'),
    outcomes: z.array(z.string()), calls: z.number().int().describe('Calls that took this edge'),
    share: z.number().nullable().describe('calls / the calls that reached `from`'),
  })),
});

/**
 * What the search box takes: at least two digits among separators. Character classes written out (no \s, \d)
 * because the document's pattern is also read by Python tools (Schemathesis), whose \s and \d are Unicode.
 */
const SEARCHED_PHONE = /^[+ .()\u00a0\u202f-]*[0-9][+ .()\u00a0\u202f-]*[0-9][0-9+ .()\u00a0\u202f-]*$/;

/** A number typed in the search box: its digits, a national 0X… read as +33X…, matched anywhere in the E.164. */
function phoneDigits(q: string): string {
  const digits = q.replace(/\D/g, '');
  return digits.startsWith('0') ? `33${digits.slice(1)}` : digits;
}

export function campaignPageRoutes(d: Deps): AnyRoute[] {
  const { prisma } = d;
  const find = async (id: string) => {
    const c = await prisma.campaign.findUnique({ where: { id } });
    if (!c) throw notFound(`campaign ${id}`);
    return c;
  };
  return [
    route({
      method: 'get', path: '/campaigns/:id/calls', tag: 'campaigns', summary: 'The calls of a campaign, newest first: filter by outcome, search by number',
      params: idParam, errors: [404],
      query: z.object({
        outcome: z.enum([...CALL_OUTCOMES, 'none']).optional().describe('"none": calls without an outcome yet (in progress)'),
        phone: z.string().max(30).regex(SEARCHED_PHONE, 'expected at least 2 digits of a phone number').optional().describe('Digits anywhere in the number (at least 2); 06… is read as +336…'),
        limit: limit(500, 100),
        offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
      }).strict(),
      success: { schema: callsAnswer },
      handler: async ({ params, query }) => {
        const c = await find(params.id);
        const digits = query.phone ? phoneDigits(query.phone) : ''; // at least 2: the pattern says so
        const where: Prisma.CallWhereInput = {
          campaignId: c.id,
          ...(query.outcome ? { outcome: query.outcome === 'none' ? null : query.outcome } : {}),
          ...(digits ? { phone: { contains: digits } } : {}),
        };
        const [rows, total] = await Promise.all([
          prisma.call.findMany({
            where, orderBy: [{ dialedAt: 'desc' }, { id: 'desc' }], take: query.limit, skip: query.offset,
            include: { contact: { select: { firstName: true, lastName: true } }, _count: { select: { interactions: true } } },
          }),
          prisma.call.count({ where }),
        ]);
        return {
          campaign_id: c.id, total, limit: query.limit, offset: query.offset,
          items: rows.map((k) => ({
            id: k.id, phone: k.phone, contact_name: [k.contact.firstName, k.contact.lastName].filter(Boolean).join(' ') || null, attempt: k.attempt,
            status: k.status, outcome: k.outcome, dialed_at: iso(k.dialedAt)!, answered_at: iso(k.answeredAt), ended_at: iso(k.endedAt),
            talk_duration_ms: k.talkDurationMs, turns: k._count.interactions, recording: k.recordingPath ? `/calls/${k.id}/recording` : null,
          })),
        };
      },
    }),
    route({
      method: 'get', path: '/campaigns/:id/scenario', tag: 'campaigns',
      summary: 'The campaign\'s scenario graph (steps and edges) with how many calls took each edge',
      description: 'Answered turns (call_interactions) give their edge; the edges of steps that do not listen are counted for the calls that reached them and were not cut short (hang-up, failure, machine).',
      params: idParam, errors: [404],
      success: { schema: scenarioAnswer },
      handler: async ({ params }) => {
        const c = await find(params.id);
        // The campaign's scenario from its file (an operator's one too), else the built-in graph of that name.
        let scenario = (() => {
          try {
            return findScenario(d.cfg, c.scenario).scenario;
          } catch {
            return null;
          }
        })();
        scenario ??= getScenario(c.scenario);
        // Paged by call id: a campaign's calls are read a few thousand at a time.
        const calls: RecordedCall[] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = await prisma.call.findMany({
            where: { campaignId: c.id, ...(cursor ? { id: { gt: cursor } } : {}) }, orderBy: { id: 'asc' }, take: 2000,
            select: { id: true, outcome: true, interactions: { orderBy: { turn: 'asc' }, select: { step: true, intent: true, streamingMetadata: true } } },
          });
          for (const k of page) {
            calls.push({
              outcome: k.outcome,
              turns: k.interactions.map((i) => {
                const decision = (i.streamingMetadata as { decision?: { next?: string | null; repeat?: boolean } } | null)?.decision;
                return { step: i.step, intent: i.intent, ...(decision ? { next: decision.next ?? null, repeat: decision.repeat ?? false } : {}) };
              }),
            });
          }
          if (page.length < 2000) break;
          cursor = page[page.length - 1]!.id;
        }
        const t = scenarioTraffic(scenario, calls);
        return {
          campaign_id: c.id,
          scenario: { name: scenario.name, description: scenario.description, start: scenario.start },
          calls: t.calls, unmatched: t.unmatched,
          steps: Object.values(scenario.steps).map((s) => ({ id: s.id, prompt: s.prompt, listen: s.listen, end: s.end ?? null, calls: t.steps[s.id] ?? 0 })),
          edges: t.edges,
        };
      },
    }),
    route({
      method: 'get', path: '/campaigns/:id/leads/export', tag: 'campaigns',
      summary: 'The leads of a campaign as a file: CSV for Excel-FR (";", UTF-8 BOM, formula-safe cells) or JSON Lines, the same bytes as `minibot leads export`',
      params: idParam, errors: [404],
      query: z.object({ format: z.enum(['csv', 'jsonl']).default('csv'), since: sinceQuery }).strict(),
      success: { contentType: ['text/csv', 'application/x-ndjson'], description: 'The file (attachment): CSV, or JSON Lines with format=jsonl' },
      handler: async ({ params, query, res }) => {
        const c = await find(params.id);
        res.status(200);
        // The attachment first: it sets a type from the file name, which ".jsonl" would make octet-stream.
        res.attachment(`leads-${c.id}.${query.format}`);
        res.type(query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
        for await (const chunk of leadExportChunks(prisma, c.id, { since: query.since ? new Date(query.since) : undefined, format: query.format })) {
          if (!res.write(chunk.text)) await new Promise((r) => res.once('drain', r));
        }
        res.end();
        return undefined;
      },
    }),
  ];
}

// `minibot leads export`: a campaign's leads page by page to CSV (spreadsheet CSV, lib/spreadsheet-csv.ts) or JSON
// Lines, to a file (written to FILE.tmp and renamed at the end: a failed run leaves no half file) or stdout.
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import type { PrismaClient } from '../prisma/client';
import { leadExportChunks } from '../services/leads';

export async function exportLeads(prisma: PrismaClient, campaignId: string, o: { since?: Date; format: 'csv' | 'jsonl'; out: string | null }): Promise<{ leads: number; path: string | null }> {
  const campaign = await prisma.campaign.findUnique({ where: { id: campaignId }, select: { id: true } });
  if (!campaign) throw new Error(`campaign ${campaignId} not found`);
  const tmp = o.out ? `${o.out}.tmp` : null;
  const sink = tmp ? createWriteStream(tmp) : process.stdout;
  const write = async (s: string) => {
    if (s && !sink.write(s)) await once(sink, 'drain');
  };
  let leads = 0;
  try {
    for await (const chunk of leadExportChunks(prisma, campaignId, { since: o.since, format: o.format })) {
      await write(chunk.text);
      leads += chunk.leads;
    }
    if (tmp) {
      (sink as ReturnType<typeof createWriteStream>).end();
      await once(sink, 'finish');
      renameSync(tmp, o.out!);
    }
  } catch (e) {
    if (tmp) {
      (sink as ReturnType<typeof createWriteStream>).destroy();
      rmSync(tmp, { force: true });
    }
    throw e;
  }
  return { leads, path: o.out };
}

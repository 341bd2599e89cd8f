// minibot — the operators' command line: contact import and validation, do-not-call list, campaigns and
// their Temporal signals. `npx minibot --help` (and `--help` on every command) documents everything.
// Services: DATABASE_URL / TEMPORAL_ADDRESS from the environment, else the dev stack of `npm run dev:up`.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { applyDevEnv } from '../runtime/dev-env';
import { parseDepartementList } from '../lib/departement';
import type { Field } from '../lib/contact-import';

function positiveInt(name: string, max = 1_000_000) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be an integer between 1 and ${max}`);
    return n;
  };
}
const uuid = (v: string) => {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) throw new InvalidArgumentError('expected a campaign id (UUID)');
  return v.toLowerCase();
};
/** An ISO 8601 instant with its offset (a time without a zone would be ambiguous). */
const isoInstant = (v: string) => {
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(v) || Number.isNaN(d.getTime())) {
    throw new InvalidArgumentError(`"${v}" is not an ISO 8601 instant (2026-03-02 or 2026-03-02T08:00:00Z)`);
  }
  return d;
};
const days = (v: string) => {
  const out = new Set<number>();
  for (const part of v.split(',')) {
    const m = /^([1-7])(?:-([1-7]))?$/.exec(part.trim());
    if (!m) throw new InvalidArgumentError('--days: ISO weekdays 1-7 (1 = Monday), e.g. 1-5 or 1,2,3,4,5,6');
    for (let d = Number(m[1]); d <= Number(m[2] ?? m[1]); d++) out.add(d);
  }
  return [...out].sort();
};

/** Exit codes of an unreachable service (cli/README.md): scripts can tell which one to start. */
const EXIT_DOWN = { postgres: 4, temporal: 5 } as const;

async function services() {
  applyDevEnv();
  const { config } = await import('../runtime/config');
  const cfg = config();
  if (!cfg.DATABASE_URL) fail('Postgres: DATABASE_URL is not set and no dev stack runs (start one with `npm run dev:up`, or set DATABASE_URL)', EXIT_DOWN.postgres);
  const { createPrisma } = await import('../prisma/client');
  return { cfg, prisma: createPrisma(cfg.DATABASE_URL!, { max: 4, connectTimeoutMs: 3000 }) };
}

async function withTemporal<T>(f: (d: Awaited<ReturnType<typeof services>> & { client: import('@temporalio/client').Client }) => Promise<T>): Promise<T> {
  const d = await services();
  const { temporalClient } = await import('../services/temporal');
  let client: import('@temporalio/client').Client;
  try {
    client = await temporalClient(d.cfg, { failFast: true, connectTimeoutMs: 3000 });
  } catch (e) {
    await d.prisma.$disconnect();
    throw e;
  }
  try {
    return await f({ ...d, client });
  } finally {
    await client.connection.close();
    await d.prisma.$disconnect();
  }
}

/** Errors that say a service is down go up to the one handler that names it (see the end of this file). */
async function rethrowIfDown(e: unknown): Promise<void> {
  const { unreachableDependency } = await import('../services/dependencies');
  if (unreachableDependency(e)) throw e;
}

function fail(message: string, code = 1): never {
  console.error(`minibot: ${message}`);
  process.exit(code);
}

/** A secret read from a file (trailing newline dropped), never from the command line. */
function readSecretFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    fail(`--lead-webhook-secret-file: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 2);
  }
}

function table(rows: [string, string | number][]): void {
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
}

const program = new Command()
  .name('minibot')
  .description('MiniBot operator CLI: contacts, do-not-call list, campaigns (Temporal workflows).\nServices: DATABASE_URL and TEMPORAL_ADDRESS, or the dev stack started by `npm run dev:up`.')
  .showHelpAfterError()
  .configureHelp({ showGlobalOptions: true });

// ---- contacts ----------------------------------------------------------------------------------------------
const contacts = program.command('contacts').description('import and check contacts');

contacts
  .command('import')
  .description('import a CSV file of contacts (streaming, batches in transactions, idempotent).\n' +
    'Columns recognised: telephone/tel/phone, nom/name, prenom, email/mail, departement/code_postal, statut,\n' +
    'consent_date/date_consentement, consent_source, consent_version/version_consentement, consent_proof,\n' +
    'client_existant, opt_out. Consent evidence (source, wording version) without a consent date is rejected.\n' +
    'Delimiter (, ; tab |) and encoding (UTF-8, Windows-1252, UTF-16 with BOM) are detected.\n' +
    'Invisible characters pasted into phone numbers (zero-width space, soft hyphen, bidi marks, NBSP) are stripped;\n' +
    'names longer than 200 characters are kept truncated.\n' +
    'Rejected rows, in-file duplicates and truncated names are listed in FILE.errors.csv (line, column, value, reason).')
  .argument('<file>', 'CSV file')
  .option('--validate', 'advanced validation: e-mail syntax, personal lines only (no 08xx), consent dates not in the future', false)
  .option('--dedupe', 'leave numbers already in the database untouched (default: update them); in-file duplicates are always reported', false)
  .option('--batch-size <n>', 'rows per transaction', positiveInt('--batch-size', 50_000), 1000)
  .option('--phone-col <name>', 'header of the phone column')
  .option('--name-col <name>', 'header of the (last or full) name column')
  .option('--first-name-col <name>', 'header of the first name column')
  .option('--email-col <name>', 'header of the e-mail column')
  .option('--departement-col <name>', 'header of the département or postal code column')
  .option('--region-filter <list>', 'only these départements, e.g. "01,02,03" or "75,2A,974"')
  .option('--consent-col <name>', 'header of the consent date column (JJ/MM/AAAA or ISO, with an optional time)')
  .option('--consent-date-col <name>', 'same as --consent-col')
  .option('--consent-source-col <name>', 'header of the consent source column (web form URL, campaign, paper…)')
  .option('--consent-version-col <name>', 'header of the consent wording version column (the text the person agreed to)')
  .option('--consent-proof-col <name>', 'header of the consent proof column')
  .option('--customer-col <name>', 'header of the existing-customer column (oui/non)')
  .option('--source <tag>', 'source tag of the imported contacts (default: import:<file name>)')
  .addOption(new Option('--delimiter <c>', 'field delimiter (default: detected)').choices([',', ';', 'tab', '|']))
  .option('--report <file>', 'error report path (default: FILE.errors.csv)')
  .option('--dry-run', 'validate only, write nothing to the database', false)
  .option('--no-progress', 'no progress bar')
  .option('--json', 'print the summary as JSON only', false)
  .action(async (file: string, o) => {
    let regionFilter: string[] | undefined;
    try {
      regionFilter = o.regionFilter ? parseDepartementList(o.regionFilter) : undefined;
    } catch (e) {
      fail(`--region-filter: ${(e as Error).message}`, 2);
    }
    const columns: Partial<Record<Field, string>> = {
      phone: o.phoneCol, lastName: o.nameCol, firstName: o.firstNameCol, email: o.emailCol, departement: o.departementCol,
      consentDate: o.consentCol ?? o.consentDateCol, consentSource: o.consentSourceCol, consentWordingVersion: o.consentVersionCol,
      consentProof: o.consentProofCol, existingCustomer: o.customerCol,
    };
    const { prisma } = await services();
    const { importContacts } = await import('./import/contacts');
    const bar = o.progress && process.stderr.isTTY && !o.json
      ? new cliProgress.SingleBar({ format: '  {bar} {percentage}% | {rows} rows | {speed} rows/s', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
      : null;
    const t0 = Date.now();
    bar?.start(100, 0, { rows: 0, speed: 0 });
    let summary;
    try {
      summary = await importContacts(prisma, file, {
        validate: o.validate, dedupe: o.dedupe, batchSize: o.batchSize, columns, regionFilter, source: o.source,
        delimiter: o.delimiter === 'tab' ? '\t' : o.delimiter, dryRun: o.dryRun, reportPath: o.report,
        onProgress: (bytes, total, rows) => bar?.update(total ? Math.round((bytes / total) * 100) : 100, { rows, speed: Math.round(rows / Math.max(0.001, (Date.now() - t0) / 1000)) }),
      });
    } catch (e) {
      bar?.stop();
      await prisma.$disconnect();
      await rethrowIfDown(e);
      fail(`${file}: ${(e as Error).message}`);
    }
    bar?.stop();
    await prisma.$disconnect();
    if (o.json) console.log(JSON.stringify(summary));
    else {
      console.log(`${o.dryRun ? 'Checked (dry run)' : 'Imported'} ${basename(file)} (delimiter ${JSON.stringify(summary.delimiter)}, ${Object.entries(summary.encodings).map(([k, v]) => `${k}: ${v} lines`).join(', ') || 'empty'})`);
      table([
        ['data rows', summary.rows],
        ['valid', summary.valid],
        ['  created', summary.created],
        ['  updated', summary.updated],
        ['  unchanged', summary.unchanged],
        ...(o.dedupe ? [['  already in database (kept)', summary.existingSkipped] as [string, number]] : []),
        ['  kept with a truncated name', summary.truncated],
        ['rejected', summary.rejected],
        ['duplicates in file', summary.duplicates],
        ['filtered (region)', summary.filtered],
        ['line types', Object.entries(summary.phoneTypes).map(([k, v]) => `${k} ${v}`).join(', ') || '-'],
        ['batches committed', summary.batches],
        ['rows/second', summary.rowsPerSecond],
        ['error report', `${summary.reportPath} (${summary.reportedIssues} issue${summary.reportedIssues === 1 ? '' : 's'})`],
        ['source tag', summary.source],
      ]);
    }
    if (summary.unreachable) {
      const { DependencyDownError, postgresAddress } = await import('../services/dependencies');
      throw new DependencyDownError(summary.unreachable, postgresAddress(process.env.DATABASE_URL));
    }
    if (summary.fatal) fail(summary.fatal);
  });

contacts
  .command('validate')
  .description('check the contacts in the database')
  .option('--format-french', 'normalise every number to E.164 (+33…)', false)
  .option('--dedupe', 'report contacts whose numbers are equal once normalised', false)
  .option('--clean-invalid', 'mark contacts whose number is not valid as status "invalid"', false)
  .option('--dry-run', 'report only, change nothing', false)
  .option('--json', 'print the summary as JSON only', false)
  .action(async (o) => {
    const { prisma } = await services();
    const { validateContacts } = await import('./import/validate');
    const s = await validateContacts(prisma, { formatFrench: o.formatFrench, dedupe: o.dedupe, cleanInvalid: o.cleanInvalid, dryRun: o.dryRun });
    await prisma.$disconnect();
    if (o.json) return console.log(JSON.stringify(s));
    table([
      ['contacts checked', s.checked], ['already E.164', s.wellFormed], ['reformatted', s.reformatted], ['invalid numbers', s.invalid],
      ['marked invalid', s.markedInvalid], ['duplicate groups', s.duplicateGroups.length],
    ]);
    for (const g of s.duplicateGroups.slice(0, 20)) console.log(`  duplicate ${g.phone}: ${g.contactIds.join(', ')}`);
    for (const i of s.invalidSamples.slice(0, 20)) console.log(`  invalid ${i.id}: ${i.reason}`);
  });

contacts
  .command('can-dial')
  .description('may this number be dialed at that instant? Which rule blocks (DNC, opt-out, consent, 4 attempts in\n' +
    '30 days, 60 days after a refusal, outside local hours, public holiday of its territory) and when it becomes\n' +
    'allowed. Exit code 0: allowed, 3: not allowed, 2: bad input.')
  .argument('<phone>', 'phone number, any French spelling')
  .option('--campaign <id>', 'judge with this campaign\'s window and commercial status (default: commercial, legal window)', uuid)
  .option('--at <ISO-8601>', 'the instant to judge, with its offset (default: now)')
  .option('--json', 'JSON output: allowed, rule, detail, timeZone, localTime, nextAllowedAt', false)
  .action(async (phone: string, o) => {
    let at: Date | undefined;
    if (o.at !== undefined) {
      at = new Date(o.at);
      if (!/^\d{4}-\d{2}-\d{2}T/.test(o.at) || Number.isNaN(at.getTime())) fail(`--at: "${o.at}" is not an ISO 8601 date-time (e.g. 2026-11-24T10:30:00+01:00)`, 2);
    }
    const { prisma } = await services();
    const { canDial } = await import('../services/can-dial');
    const { NotFoundError, ValidationError } = await import('../services/campaigns');
    let r;
    try {
      r = await canDial(prisma, { phone, at, campaignId: o.campaign });
    } catch (e) {
      await prisma.$disconnect();
      if (e instanceof ValidationError) fail(e.message, 2);
      if (e instanceof NotFoundError) fail(e.message, 2);
      throw e;
    }
    await prisma.$disconnect();
    if (o.json) console.log(JSON.stringify(r));
    else {
      console.log(`${r.phone}: ${r.allowed ? 'allowed' : `NOT allowed (${r.rule})`} at ${r.at}`);
      table([
        ['rule', r.rule ?? '-'],
        ['detail', r.detail],
        ['callee time zone', `${r.timeZone} (${r.territory})`],
        ['local time', r.localTime],
        ['next allowed at', r.nextAllowedAt ?? 'never (no date lifts this rule)'],
      ]);
    }
    process.exitCode = r.allowed ? 0 : 3;
  });

// ---- DNC ---------------------------------------------------------------------------------------------------
const dnc = program.command('dnc').description('do-not-call list (Bloctel and opt-outs)');
dnc
  .command('import')
  .description('import a do-not-call list: one number per line (Bloctel export), extra columns ignored; idempotent')
  .argument('<file>', 'list file')
  .addOption(new Option('--source <source>', 'origin of the entries').choices(['bloctel', 'manual', 'opt_out']).default('bloctel'))
  .option('--reason <text>', 'reason stored with each entry')
  .option('--json', 'print the summary as JSON only', false)
  .action(async (file: string, o) => {
    const { prisma } = await services();
    const { importDnc } = await import('./import/dnc');
    const s = await importDnc(prisma, file, { source: o.source, reason: o.reason });
    await prisma.$disconnect();
    if (o.json) return console.log(JSON.stringify(s));
    table([['numbers read', s.lines], ['added', s.added], ['already listed', s.alreadyListed], ['invalid', s.invalid]]);
    for (const l of s.invalidLines.slice(0, 20)) console.log(`  line ${l.line}: ${JSON.stringify(l.value)} ${l.reason}`);
  });
dnc
  .command('check')
  .description('is this number on the do-not-call list? (exit code 0: callable, 3: listed or opted out)')
  .argument('<phone>', 'phone number, any French spelling')
  .option('--json', 'JSON output', false)
  .action(async (phone: string, o) => {
    const { prisma } = await services();
    const { checkDnc } = await import('./import/dnc');
    let r;
    try {
      r = await checkDnc(prisma, phone);
    } catch (e) {
      await prisma.$disconnect();
      await rethrowIfDown(e);
      fail((e as Error).message, 2);
    }
    await prisma.$disconnect();
    if (o.json) console.log(JSON.stringify(r));
    else if (r.listed) console.log(`${r.phone}: ON the do-not-call list (${r.source}${r.reason ? `: ${r.reason}` : ''}, since ${r.addedAt?.toISOString()})`);
    else if (r.contactOptedOut) console.log(`${r.phone}: not on the list, but the contact opted out`);
    else console.log(`${r.phone}: not on the do-not-call list`);
    process.exitCode = r.listed || r.contactOptedOut ? 3 : 0;
  });

// ---- campaigns ---------------------------------------------------------------------------------------------
const campaign = program.command('campaign').description('create, launch and control campaigns (Temporal workflows campaign-<id>)');
campaign
  .command('launch')
  .description('create a campaign and start its workflow (workers must be running: npm run worker)')
  .requiredOption('--name <name>', 'campaign name')
  .option('--scenario <name>', 'scenario name: production, transfer (a lead is put through to an agent live), test, or one of SCENARIOS_DIR (minibot scenario list)', 'production')
  .option('--limit <n>', 'maximum number of contacts', positiveInt('--limit', 10_000_000))
  .option('--concurrent <n>', 'maximum concurrent calls', positiveInt('--concurrent', 1000), 3)
  .option('--start-time <HH:MM>', 'calling window opening (local time)', '10:00')
  .option('--end-time <HH:MM>', 'calling window closing (local time)', '20:00')
  .option('--break-start <HH:MM>', 'lunch break start ("none": no break)', '13:00')
  .option('--break-end <HH:MM>', 'lunch break end', '14:00')
  .option('--days <list>', 'ISO weekdays, 1 = Monday (e.g. 1-5, 1,2,3,4,5,6)', days)
  .option('--timezone <tz>', 'reference time zone (the window is read in each callee\'s local time)', 'Europe/Paris')
  .option('--source <tag>', 'only contacts of this import source tag')
  .option('--departements <list>', 'only contacts of these départements, e.g. 75,92,93')
  .option('--max-attempts <n>', 'attempts per contact', positiveInt('--max-attempts', 10))
  .option('--non-commercial', 'survey/service campaign (no canvassing consent rules)', false)
  .option('--caller-id <number>', "number presented to callees (default SIP_TRUNK_CALLER_ID); a commercial campaign on real telephony needs one in ARCEP's canvassing ranges (0162, 0163, 0270, 0271, 0377, 0378, 0424, 0425, 0568, 0569, 0948, 0949, 09475-09479)")
  .option('--lead-webhook <url>', 'CRM webhook: each lead is POSTed there as signed JSON (https, or http to localhost)')
  .option('--lead-webhook-secret-file <file>', 'file holding the webhook\'s HMAC-SHA256 secret (≥ 16 characters; a file, so that it stays out of the shell history and process list)')
  .option('--agent <name>', 'live transfer (scenario "transfer"): the agent destination, {agent} of AGENT_DIAL_TEMPLATE')
  .option('--max-transfers <n>', 'live transfers in progress at once (the number of agents; default 1)', positiveInt('--max-transfers', 1000))
  .option('--draft', 'create only, do not start', false)
  .option('--json', 'JSON output', false)
  .action(async (o) =>
    withTemporal(async ({ cfg, prisma, client }) => {
      const { assertLaunchable, createCampaign, launchCampaign, ValidationError } = await import('../services/campaigns');
      const { webUiLink } = await import('../services/temporal');
      const noBreak = o.breakStart === 'none';
      let c;
      try {
        const body = {
          name: o.name, scenario: o.scenario, max_concurrent_calls: o.concurrent, contact_limit: o.limit ?? null,
          schedule: {
            start_time: o.startTime, end_time: o.endTime, break_start: noBreak ? null : o.breakStart, break_end: noBreak ? null : o.breakEnd,
            ...(o.days ? { days: o.days } : {}), timezone: o.timezone,
          },
          ...(o.source ? { contact_source: o.source } : {}),
          ...(o.departements ? { departements: parseDepartementList(o.departements) } : {}),
          ...(o.maxAttempts ? { max_attempts: o.maxAttempts } : {}),
          non_commercial: o.nonCommercial,
          ...(o.callerId ? { caller_id: o.callerId } : {}),
          ...(o.leadWebhook ? { lead_webhook_url: o.leadWebhook } : {}),
          ...(o.leadWebhookSecretFile ? { lead_webhook_secret: readSecretFile(o.leadWebhookSecretFile) } : {}),
          ...(o.agent ? { agent: o.agent } : {}),
          ...(o.maxTransfers ? { max_transfers: o.maxTransfers } : {}),
        };
        // The law's launch checks (disclosure, caller ID) refuse before the campaign is written.
        if (!o.draft) assertLaunchable(body, cfg);
        c = await createCampaign(prisma, body);
      } catch (e) {
        if (e instanceof ValidationError) fail(`invalid campaign: ${e.message}`, 2);
        throw e;
      }
      const launched = o.draft ? null : await launchCampaign(client, prisma, cfg, c.id);
      const link = launched ? webUiLink(cfg.TEMPORAL_UI_URL, cfg.TEMPORAL_NAMESPACE, launched.workflowId) : '';
      if (o.json) return console.log(JSON.stringify({ id: c.id, workflowId: launched?.workflowId ?? null, started: launched?.started ?? false, webUi: link || null }));
      console.log(`Campaign ${c.id} created${launched ? `, workflow ${launched.workflowId} started` : ' (draft)'}`);
      if (link) console.log(`Temporal Web UI: ${link}`);
    }),
  );

for (const cmd of ['pause', 'resume', 'stop'] as const) {
  campaign
    .command(cmd)
    .description(`${cmd} a campaign (Temporal signal "${cmd}"; same as: temporal workflow signal --workflow-id campaign-ID --name ${cmd})`)
    .argument('<id>', 'campaign id', uuid)
    .action(async (id: string) =>
      withTemporal(async ({ prisma, client }) => {
        const { signalCampaign } = await import('../services/campaigns');
        if (!(await prisma.campaign.findUnique({ where: { id }, select: { id: true } }))) fail(`campaign ${id} not found`);
        try {
          await signalCampaign(client, id, cmd);
        } catch (e) {
          await rethrowIfDown(e);
          fail(`campaign ${id}: its workflow does not run (${(e as Error).message})`);
        }
        console.log(`Campaign ${id}: ${cmd} signal sent`);
      }),
    );
}

campaign
  .command('concurrency')
  .description('change the concurrent call cap of a running campaign (signal setConcurrency)')
  .argument('<id>', 'campaign id', uuid)
  .argument('<n>', 'maximum concurrent calls', positiveInt('n', 1000))
  .action(async (id: string, n: number) =>
    withTemporal(async ({ client }) => {
      const { setCampaignConcurrency } = await import('../services/campaigns');
      try {
        await setCampaignConcurrency(client, id, n);
      } catch (e) {
        await rethrowIfDown(e);
        fail(`campaign ${id}: its workflow does not run (${(e as Error).message})`);
      }
      console.log(`Campaign ${id}: concurrency set to ${n}`);
    }),
  );

campaign
  .command('status')
  .description('live state of a campaign (Temporal query "status") and its figures from the database')
  .argument('<id>', 'campaign id', uuid)
  .option('--json', 'JSON output', false)
  .action(async (id: string, o) =>
    withTemporal(async ({ cfg, prisma, client }) => {
      const { campaignStatus } = await import('../services/campaigns');
      const { campaignFigures } = await import('../services/stats');
      const { webUiLink } = await import('../services/temporal');
      const c = await prisma.campaign.findUnique({ where: { id } });
      if (!c) fail(`campaign ${id} not found`);
      const { unreachableDependency } = await import('../services/dependencies');
      // A campaign whose workflow does not run has no live state; Temporal being down is another matter.
      const live = await campaignStatus(client, id).catch((e) => {
        if (unreachableDependency(e)) throw e;
        return null;
      });
      const figures = await campaignFigures(prisma, id);
      const { leadDeliverySummary, leadDeliverySummaryJson } = await import('../services/lead-deliveries');
      const deliveries = c.leadWebhookUrl ? await leadDeliverySummary(prisma, id) : null;
      const link = c.workflowId ? webUiLink(cfg.TEMPORAL_UI_URL, cfg.TEMPORAL_NAMESPACE, c.workflowId) : '';
      if (o.json) return console.log(JSON.stringify({ id, name: c.name, status: c.status, live, figures, leadDeliveries: deliveries ? leadDeliverySummaryJson(deliveries) : null, webUi: link || null }));
      table([
        ['campaign', `${c.name} (${id})`],
        ['status (database)', c.status],
        ['workflow state', live ? live.state : 'not running'],
        ['active calls', live ? `${live.activeCalls.length} / ${live.maxConcurrent}` : '-'],
        ...(live?.windowWaits ?? []).map((w) => [`  waiting ${w.timeZone}`, `${w.contacts} contact${w.contacts === 1 ? '' : 's'}, window opens ${w.nextOpening ?? 'never'}`] as [string, string]),
        ['contacts', figures.contacts],
        ['calls dialed', figures.dialed],
        ['open contacts', figures.open],
        ...Object.entries(figures.outcomes).map(([k, v]) => [`  outcome ${k}`, v] as [string, number]),
        ...Object.entries(figures.skipped).map(([k, v]) => [`  skipped ${k}`, v] as [string, number]),
        ...(deliveries ? [
          ['lead webhook', `${deliveries.delivered} delivered, ${deliveries.retrying} retrying, ${deliveries.failed} failed, ${deliveries.pending} pending`] as [string, string],
          ...deliveries.problems.map((p) => [`  ${p.state} call ${p.callId}`, `${p.attempts} attempt${p.attempts === 1 ? '' : 's'}, last: ${p.lastError ?? '-'}`] as [string, string]),
        ] : []),
        ...(link ? [['Temporal Web UI', link] as [string, string]] : []),
      ]);
    }),
  );

campaign
  .command('list')
  .description('campaigns, newest first')
  .addOption(new Option('--status <status>', 'only this status').choices(['draft', 'running', 'paused', 'stopped', 'completed']))
  .option('--limit <n>', 'how many', positiveInt('--limit', 1000), 50)
  .option('--json', 'JSON output', false)
  .action(async (o) => {
    const { prisma } = await services();
    const rows = await prisma.campaign.findMany({
      where: o.status ? { status: o.status } : {}, orderBy: { createdAt: 'desc' }, take: o.limit,
      select: { id: true, name: true, scenario: true, status: true, maxConcurrentCalls: true, createdAt: true, _count: { select: { campaignContacts: true, calls: true } } },
    });
    await prisma.$disconnect();
    if (o.json) return console.log(JSON.stringify(rows));
    if (!rows.length) return console.log('no campaigns');
    for (const r of rows) {
      console.log(`${r.id}  ${r.status.padEnd(9)}  ${r.scenario.padEnd(10)}  ${String(r._count.calls).padStart(6)} calls / ${String(r._count.campaignContacts).padStart(6)} contacts  ${r.createdAt.toISOString().slice(0, 16)}  ${r.name}`);
    }
  });

// ---- compliance --------------------------------------------------------------------------------------------
const compliance = program.command('compliance').description('proof that calls obeyed the law');
compliance
  .command('report')
  .description('CSV, one row per contact of the campaign: dialed or skipped, the rule, the legal basis with its\n' +
    'consent evidence (as stored with each call at dial time), the local time of every attempt in the contact\'s zone.\n' +
    'Delimiter ";", UTF-8 with BOM, cells starting with = + - @ are quoted against formula injection.')
  .requiredOption('--campaign <id>', 'campaign id', uuid)
  .option('--out <file>', 'write to this file (default: standard output)')
  .action(async (o) => {
    const { prisma } = await services();
    const { writeComplianceReport } = await import('./compliance');
    let r;
    try {
      r = await writeComplianceReport(prisma, o.campaign, o.out ?? null);
    } catch (e) {
      await prisma.$disconnect();
      fail((e as Error).message);
    }
    await prisma.$disconnect();
    if (r.path) console.error(`compliance report: ${r.rows} contact(s) written to ${r.path}`);
  });

// ---- leads -------------------------------------------------------------------------------------------------
const leads = program.command('leads').description('the qualified leads of a campaign');
leads
  .command('export')
  .description('the leads of a campaign (calls with outcome "lead", oldest first by the end of the call): contact,\n' +
    'call, the answer heard at each step with its intent, the callback time. CSV: delimiter ";", UTF-8 with BOM,\n' +
    'cells starting with = + - @ are quoted against formula injection; JSON Lines: one lead per line.')
  .requiredOption('--campaign <id>', 'campaign id', uuid)
  .option('--since <iso>', 'only leads whose call ended at or after this instant (ISO 8601, e.g. 2026-03-02T00:00:00Z)', isoInstant)
  .addOption(new Option('--format <format>', 'output format').choices(['csv', 'jsonl']).default('csv'))
  .option('--out <file>', 'write to this file (default: standard output)')
  .action(async (o) => {
    const { prisma } = await services();
    const { exportLeads } = await import('./leads');
    let r;
    try {
      r = await exportLeads(prisma, o.campaign, { since: o.since, format: o.format, out: o.out ?? null });
    } catch (e) {
      await prisma.$disconnect();
      await rethrowIfDown(e);
      fail((e as Error).message);
    }
    await prisma.$disconnect();
    if (r.path) console.error(`leads: ${r.leads} lead(s) written to ${r.path}`);
  });

// ---- scenarios ---------------------------------------------------------------------------------------------
const scenario = program.command('scenario').description('scenario files: the built-in ones (scenarios/) and the operator\'s (SCENARIOS_DIR)');
scenario
  .command('list')
  .description('every scenario a campaign may use, with where it is and whether it is valid')
  .option('--json', 'JSON output', false)
  .action(async (o) => {
    const { runScenarioList } = await import('./scenario');
    process.exitCode = await runScenarioList(o);
  });
scenario
  .command('validate')
  .description('check a scenario folder (<dir>/scenario.yaml or .json, with its prompts/): the schema, every\n' +
    'transition, unreachable steps, dead ends, missing prompt files, the opt-out on every listening step and the\n' +
    'first prompt\'s disclosure. Each problem names the file, the line and the path. Exit 0 valid, 1 not.')
  .argument('<dir>', 'the scenario\'s folder')
  .option('--json', 'JSON output', false)
  .action(async (dir: string, o) => {
    const { runScenarioValidate } = await import('./scenario');
    process.exitCode = await runScenarioValidate(dir, o);
  });
scenario
  .command('show')
  .description('print a scenario\'s graph as text: each step, its prompt\'s text, and where each answer leads')
  .argument('<name>', 'scenario name (minibot scenario list)')
  .option('--json', 'the compiled graph as JSON (what each call of a campaign receives)', false)
  .action(async (name: string, o) => {
    const { runScenarioShow } = await import('./scenario');
    process.exitCode = await runScenarioShow(name, o);
  });

// ---- speech recognition model ------------------------------------------------------------------------------
const asr = program.command('asr').description('the speech recognition (Vosk) model of the media worker');
asr
  .command('install')
  .description('download a French Vosk model from the official models site (alphacephei), check its size and\n' +
    'MD5 against the publisher\'s, unpack it into the models folder (atomically: a failed or corrupt download leaves\n' +
    'nothing) and print the VOSK_MODEL_PATH line to use. Already installed: nothing is downloaded.\n' +
    'Models: fr-small (vosk-model-small-fr-0.22, 41 MB), fr (vosk-model-fr-0.22, 1.4 GB).')
  .addArgument(new Argument('<model>', 'model to install').choices(['fr-small', 'fr']))
  .option('--dir <folder>', 'models folder (default: VOSK_MODELS_DIR, "models")')
  .option('--from <url>', 'base URL of the models site or a mirror (default: VOSK_MODELS_URL, https://alphacephei.com/vosk/models)')
  .option('--force', 'download and replace even when the model is already installed', false)
  .option('--json', 'print the result as JSON only', false)
  .action(async (model: string, o) => {
    const { config } = await import('../runtime/config');
    const cfg = config();
    const { installModel, InstallError } = await import('./asr/install');
    let r;
    try {
      r = await installModel(model, { base: o.from ?? cfg.VOSK_MODELS_URL, dir: o.dir ?? cfg.VOSK_MODELS_DIR, force: o.force, log: o.json ? undefined : (l) => console.error(l) });
    } catch (e) {
      if (e instanceof InstallError) fail(e.message);
      throw e;
    }
    if (o.json) console.log(JSON.stringify(r));
    else {
      console.error(r.installed ? `installed ${r.model} (${r.files} files, SHA-256 ${r.sha256})` : `${r.model} is already installed in ${r.path}`);
      console.log(`VOSK_MODEL_PATH=${r.path}`);
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // An unreachable service is an expected condition: one sentence naming it, where it was looked for and how
  // to start it, and its own exit code. Anything else is a bug and keeps its stack trace.
  const { unreachableDependency, dependencyAddress, howToStart, DEPENDENCY_LABEL, DependencyDownError } = await import('../services/dependencies');
  const { ConfigError } = await import('../runtime/config');
  if (e instanceof ConfigError) fail(e.message, 2);
  const dep = unreachableDependency(e);
  if (!dep) throw e;
  const address = e instanceof DependencyDownError ? e.address : dependencyAddress(dep, { DATABASE_URL: process.env.DATABASE_URL, TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233' });
  fail(`${DEPENDENCY_LABEL[dep]} is unreachable at ${address}: ${howToStart(dep)}`, EXIT_DOWN[dep]);
}

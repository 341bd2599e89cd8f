// Streaming contact import: file → per-line decoding (UTF-8 / Windows-1252 / UTF-16) → csv-parse → row
// validation (lib/contact-import) → batches written each in one transaction with a single INSERT … ON CONFLICT
// (an unchanged contact is not touched, so re-importing a file changes nothing). The report lists the rejected
// rows, the in-file duplicates and the rows kept with a shortened name. Memory stays bounded: one
// batch of rows plus one number per distinct phone (for in-file duplicate detection).
import { unreachableDependency, type Dependency } from '../../services/dependencies';
import { createReadStream, createWriteStream, statSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { basename } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { parse } from 'csv-parse';
import type { PrismaClient } from '../../prisma/client';
import {
  decodeLine, ImportSetupError, mapRow, normalizeHeader, resolveColumns, sniffDelimiter, type ContactRow, type Field, type RowIssue,
} from '../../lib/contact-import';

export interface ImportOptions {
  validate: boolean;
  dedupe: boolean;
  batchSize: number;
  columns: Partial<Record<Field, string>>;
  regionFilter?: string[];
  source?: string;
  delimiter?: string;
  dryRun?: boolean;
  reportPath?: string;
  onProgress?: (bytesRead: number, totalBytes: number, rows: number) => void;
}

export interface ImportSummary {
  file: string;
  source: string;
  delimiter: string;
  encodings: Record<string, number>;
  rows: number;
  valid: number;
  created: number;
  updated: number;
  unchanged: number;
  existingSkipped: number;
  rejected: number;
  /** Rows kept with a value cut to its column's limit (each listed in the report). */
  truncated: number;
  duplicates: number;
  filtered: number;
  batches: number;
  phoneTypes: Record<string, number>;
  reportPath: string;
  reportedIssues: number;
  dryRun: boolean;
  durationMs: number;
  rowsPerSecond: number;
  fatal: string | null;
  /** The service whose outage stopped the import (the batches before it are committed; a re-run completes it). */
  unreachable: Dependency | null;
}

/** Bytes → text, decoding each line on its own (see decodeLine); UTF-16 files (BOM) are decoded whole. */
class LineDecoder extends Transform {
  private rest: Buffer = Buffer.alloc(0);
  private first = true;
  private utf16: InstanceType<typeof globalThis.TextDecoder> | null = null;
  readonly encodings: Record<string, number> = {};
  bytes = 0;

  constructor() {
    super({ readableObjectMode: false, decodeStrings: true });
    this.setEncoding('utf8');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.first) {
      this.first = false;
      if (chunk[0] === 0xff && chunk[1] === 0xfe) this.utf16 = new TextDecoder('utf-16le');
      else if (chunk[0] === 0xfe && chunk[1] === 0xff) this.utf16 = new TextDecoder('utf-16be');
      else if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      if (this.utf16) this.encodings[this.utf16.encoding] = 1;
    }
    if (this.utf16) {
      cb(null, this.utf16.decode(chunk, { stream: true }));
      return;
    }
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    let start = 0;
    let out = '';
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, start)) {
      out += this.decode(buf.subarray(start, i + 1));
      start = i + 1;
    }
    this.rest = Buffer.from(buf.subarray(start));
    cb(null, out);
  }

  override _flush(cb: TransformCallback): void {
    if (this.utf16) cb(null, this.utf16.decode());
    else cb(null, this.rest.length ? this.decode(this.rest) : '');
  }

  private decode(line: Uint8Array): string {
    const d = decodeLine(line);
    this.encodings[d.encoding] = (this.encodings[d.encoding] ?? 0) + 1;
    return d.text;
  }
}

/** RFC 4180 cell, with spreadsheet formula injection neutralised (the report is opened in Excel). */
function cell(v: string | number): string {
  let s = String(v);
  if (/^[=@\t\r]/.test(s) || /^[+-][^\d\s]/.test(s)) s = `'${s}`;
  return /[",;\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

class Report {
  private out: WriteStream;
  count = 0;
  constructor(readonly path: string) {
    this.out = createWriteStream(path, { encoding: 'utf8' });
    this.out.write('\uFEFFline,column,value,reason\n'); // BOM: Excel opens it as UTF-8
  }
  async add(line: number, issue: RowIssue): Promise<void> {
    this.count += 1;
    const value = issue.value.length > 80 ? issue.value.slice(0, 80) + '…' : issue.value;
    if (!this.out.write([line, issue.column, value, issue.reason].map(cell).join(',') + '\n')) await once(this.out, 'drain');
  }
  async close(): Promise<void> {
    this.out.end();
    await once(this.out, 'finish');
  }
}

interface Pending {
  line: number;
  c: ContactRow;
}

/** Writes one batch in one transaction; returns the created / updated / unchanged counts. */
async function writeBatch(prisma: PrismaClient, batch: Pending[], source: string, dedupe: boolean, hasCustomerCol: boolean): Promise<{ created: number; updated: number; unchanged: number }> {
  const col = <T>(f: (p: Pending) => T) => batch.map(f);
  const params = [
    col((p) => p.c.phone), col((p) => p.c.lastName), col((p) => p.c.firstName), col((p) => p.c.email),
    col((p) => p.c.departement), col((p) => p.c.status ?? 'pending'), col((p) => p.c.timezone),
    col((p) => p.c.consentGivenAt?.toISOString() ?? null), col((p) => p.c.consentSource), col((p) => p.c.consentProof),
    col((p) => p.c.existingCustomer), col((p) => p.c.optOut), source, col((p) => p.c.consentWordingVersion),
  ];
  // An existing contact keeps its status, source and any value this file leaves empty; an opt-out is never
  // cleared by an import. Only rows whose values really change are updated (re-runs touch nothing).
  // existing_customer is NOT NULL: when the file has no such column the existing value is kept.
  const customer = hasCustomerCol ? 'EXCLUDED.existing_customer' : 'contacts.existing_customer';
  const onConflict = dedupe
    ? 'ON CONFLICT (phone) DO NOTHING'
    : `ON CONFLICT (phone) DO UPDATE SET
         last_name = COALESCE(EXCLUDED.last_name, contacts.last_name),
         first_name = COALESCE(EXCLUDED.first_name, contacts.first_name),
         email = COALESCE(EXCLUDED.email, contacts.email),
         departement = COALESCE(EXCLUDED.departement, contacts.departement),
         timezone = EXCLUDED.timezone,
         consent_given_at = COALESCE(EXCLUDED.consent_given_at, contacts.consent_given_at),
         consent_source = COALESCE(EXCLUDED.consent_source, contacts.consent_source),
         consent_proof = COALESCE(EXCLUDED.consent_proof, contacts.consent_proof),
         consent_wording_version = COALESCE(EXCLUDED.consent_wording_version, contacts.consent_wording_version),
         existing_customer = ${customer},
         opt_out = contacts.opt_out OR EXCLUDED.opt_out,
         updated_at = now()
       WHERE (contacts.last_name, contacts.first_name, contacts.email, contacts.departement, contacts.timezone,
              contacts.consent_given_at, contacts.consent_source, contacts.consent_proof, contacts.consent_wording_version,
              contacts.existing_customer, contacts.opt_out)
         IS DISTINCT FROM
             (COALESCE(EXCLUDED.last_name, contacts.last_name), COALESCE(EXCLUDED.first_name, contacts.first_name),
              COALESCE(EXCLUDED.email, contacts.email), COALESCE(EXCLUDED.departement, contacts.departement), EXCLUDED.timezone,
              COALESCE(EXCLUDED.consent_given_at, contacts.consent_given_at), COALESCE(EXCLUDED.consent_source, contacts.consent_source),
              COALESCE(EXCLUDED.consent_proof, contacts.consent_proof),
              COALESCE(EXCLUDED.consent_wording_version, contacts.consent_wording_version), ${customer},
              contacts.opt_out OR EXCLUDED.opt_out)`;
  const sql = `
    INSERT INTO contacts AS contacts (id, phone, last_name, first_name, email, departement, status, timezone, consent_given_at,
                          consent_source, consent_proof, consent_wording_version, existing_customer, opt_out, source, updated_at)
    SELECT gen_random_uuid(), i.phone, i.last_name, i.first_name, i.email, i.departement, i.status::contact_status, i.timezone,
           i.consent_given_at::timestamptz, i.consent_source, i.consent_proof, i.consent_wording_version,
           COALESCE(i.existing_customer, false), i.opt_out, $13, now()
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                $10::text[], $11::boolean[], $12::boolean[], $14::text[])
         AS i(phone, last_name, first_name, email, departement, status, timezone, consent_given_at, consent_source, consent_proof,
              existing_customer, opt_out, consent_wording_version)
    ${onConflict}
    RETURNING (xmax = 0) AS inserted`;
  const rows = await prisma.$transaction(async (tx) => tx.$queryRawUnsafe<{ inserted: boolean }[]>(sql, ...params), { timeout: 60_000 });
  const created = rows.filter((r) => r.inserted).length;
  const updated = rows.length - created;
  return { created, updated, unchanged: batch.length - rows.length };
}

export async function importContacts(prisma: PrismaClient, file: string, o: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const total = statSync(file).size;
  const source = o.source ?? `import:${basename(file)}`;
  const reportPath = o.reportPath ?? `${file}.errors.csv`;
  const report = new Report(reportPath);
  const decoder = new LineDecoder();
  const input = createReadStream(file, { highWaterMark: 256 * 1024 });
  const decoded = input.pipe(decoder);
  input.on('error', (e) => decoded.destroy(e));

  // Read up to the first line break to choose the delimiter, then feed everything to the parser.
  const it = decoded[Symbol.asyncIterator]() as AsyncIterator<string>;
  let head = '';
  while (!/[\r\n]/.test(head)) {
    const r = await it.next();
    if (r.done) break;
    head += r.value;
  }
  const delimiter = o.delimiter ?? sniffDelimiter(head.replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '');
  const skipped: { line: number; reason: string }[] = [];
  const parser = parse({
    delimiter,
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    info: true,
    max_record_size: 64 * 1024,
    skip_records_with_error: true,
    on_skip: (err) => {
      if (err) skipped.push({ line: (err as unknown as { lines?: number }).lines ?? 0, reason: `unreadable CSV record: ${err.message}` });
      return undefined;
    },
  });
  Readable.from((async function* () {
    if (head) yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  })()).pipe(parser);

  const s: ImportSummary = {
    file, source, delimiter, encodings: decoder.encodings, rows: 0, valid: 0, created: 0, updated: 0, unchanged: 0, existingSkipped: 0,
    rejected: 0, truncated: 0, duplicates: 0, filtered: 0, batches: 0, phoneTypes: {}, reportPath, reportedIssues: 0, dryRun: !!o.dryRun,
    durationMs: 0, rowsPerSecond: 0, fatal: null, unreachable: null,
  };
  const regionFilter = o.regionFilter ? new Set(o.regionFilter) : undefined;
  const seen = new Map<number, number>(); // E.164 digits (≤ 15, exact in a double) → first line
  let batch: Pending[] = [];
  let headers: string[] | null = null;
  let cols: ReturnType<typeof resolveColumns> | null = null;

  const flush = async () => {
    if (!batch.length) return;
    if (!o.dryRun) {
      const r = await writeBatch(prisma, batch, source, o.dedupe, cols!.existingCustomer !== undefined);
      s.created += r.created;
      s.updated += r.updated;
      if (o.dedupe) s.existingSkipped += r.unchanged;
      else s.unchanged += r.unchanged;
    }
    s.batches += 1;
    batch = [];
  };
  const drainSkipped = async () => {
    for (const k of skipped.splice(0)) {
      s.rows += 1;
      s.rejected += 1;
      await report.add(k.line, { column: '(record)', reason: k.reason, value: '' });
    }
  };

  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      await drainSkipped();
      if (!headers) {
        headers = record.map((h) => h.replace(/^\uFEFF/, '').trim());
        if (headers.some((h) => normalizeHeader(h) === '') && headers.every((h) => normalizeHeader(h) === '')) throw new ImportSetupError('the first line (header) is empty');
        cols = resolveColumns(headers, o.columns, { needDepartement: !!regionFilter });
        continue;
      }
      s.rows += 1;
      const line = info.lines;
      const r = mapRow(record, cols!, headers, { validate: o.validate, regionFilter }, new Date());
      if (r.ok === 'filtered') {
        s.filtered += 1;
      } else if (r.ok === false) {
        s.rejected += 1;
        for (const issue of r.issues) await report.add(line, issue);
      } else {
        const key = Number(r.contact.phone.slice(1));
        const first = seen.get(key);
        if (first !== undefined) {
          s.duplicates += 1;
          const issue = { column: headers[cols!.phone!] ?? 'phone', value: r.contact.phone, reason: `duplicate of line ${first}${o.dedupe ? ' (skipped by --dedupe)' : ''}` };
          await report.add(line, issue);
        } else {
          seen.set(key, line);
          s.valid += 1;
          if (r.warnings.length) s.truncated += 1;
          for (const warning of r.warnings) await report.add(line, warning);
          s.phoneTypes[r.contact.phoneType] = (s.phoneTypes[r.contact.phoneType] ?? 0) + 1;
          batch.push({ line, c: r.contact });
          if (batch.length >= o.batchSize) await flush();
        }
      }
      if (s.rows % 1000 === 0) o.onProgress?.(decoder.bytes, total, s.rows);
    }
    await drainSkipped();
    if (!headers) throw new ImportSetupError('the file is empty (no header line)');
    await flush();
  } catch (err) {
    s.fatal = err instanceof ImportSetupError ? err.message : `stopped after ${s.batches} complete batch(es): ${(err as Error).message}`;
    s.unreachable = unreachableDependency(err);
    input.destroy();
  } finally {
    o.onProgress?.(decoder.bytes, total, s.rows);
    s.reportedIssues = report.count;
    await report.close();
  }
  s.durationMs = Date.now() - started;
  s.rowsPerSecond = s.durationMs > 0 ? Math.round((s.rows / s.durationMs) * 1000) : s.rows;
  return s;
}

// CSV for French spreadsheets, the one writer of every CSV an operator opens in Excel (compliance report, leads):
// `;` delimiter, UTF-8 BOM (Excel otherwise reads it as Windows-1252), CRLF, and every cell a spreadsheet would run
// as a formula (= + - @ tab CR) prefixed with a quote (csv-stringify's escape_formulas; OWASP "CSV injection"):
// names, transcripts and consent sources come from outside.
import { stringify } from 'csv-stringify/sync';

/** CSV text of some records; `header` (and the BOM) only for the first chunk of a file. */
export function spreadsheetCsv(records: string[][], columns: readonly string[], opts: { header: boolean }): string {
  const body = stringify(records, { delimiter: ';', header: opts.header, columns: [...columns], escape_formulas: true, record_delimiter: '\r\n' });
  return (opts.header ? '\uFEFF' : '') + body;
}

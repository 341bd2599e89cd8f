// Masking of phone numbers for display and logs, in one place (lib/phone re-exports it; the logger's redaction
// uses it without loading the phone-number metadata).

/** Masks a number for display in reports and logs: +33612345678 -> +336****5678; short values entirely. */
export function maskNumber(e164: string): string {
  if (e164.length <= 8) return '****';
  return e164.slice(0, 4) + '*'.repeat(e164.length - 8) + e164.slice(-4);
}

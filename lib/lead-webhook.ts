// The CRM webhook's wire format, pure: what a receiver gets for each lead and how it checks that MiniBot sent it.
// - body: JSON `{ "event": "lead.created", "idempotency_key", "campaign_id", "lead": <GET /campaigns/:id/leads item> }`;
// - `Idempotency-Key`: the same on every retry of one lead (`lead-<call id>`), so the receiver can drop repeats;
// - `X-MiniBot-Timestamp`: Unix seconds of this attempt; `X-MiniBot-Signature: sha256=<hex>`, the HMAC-SHA256 with
//   the campaign's secret of `<timestamp>.<raw body>`: the timestamp is signed so a captured request cannot be
//   replayed later (the receiver refuses old timestamps), the raw body so any change breaks the signature.
// Same scheme as Stripe's and GitHub's webhooks, so receivers can reuse their verification code.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-MiniBot-Signature';
export const TIMESTAMP_HEADER = 'X-MiniBot-Timestamp';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const LEAD_EVENT = 'lead.created';
/** Shortest secret accepted: 128 bits of a random base64 or hex string. */
export const MIN_SECRET_LENGTH = 16;

export const leadIdempotencyKey = (callId: string) => `lead-${callId}`;

export function leadWebhookBody(o: { idempotencyKey: string; campaignId: string; lead: unknown }): string {
  return JSON.stringify({ event: LEAD_EVENT, idempotency_key: o.idempotencyKey, campaign_id: o.campaignId, lead: o.lead });
}

export function signLeadWebhook(secret: string, timestampSeconds: number, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex')}`;
}

/** The receiver's check (also used by the tests): signature valid and timestamp within `toleranceSeconds` of `nowSeconds`. */
export function verifyLeadWebhook(
  secret: string, headers: { signature: string | undefined; timestamp: string | undefined }, rawBody: string, nowSeconds: number, toleranceSeconds = 300,
): { ok: true } | { ok: false; reason: string } {
  if (!headers.signature || !headers.timestamp) return { ok: false, reason: 'missing signature or timestamp header' };
  const t = Number(headers.timestamp);
  if (!Number.isInteger(t)) return { ok: false, reason: 'timestamp is not an integer' };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: 'timestamp too old or in the future' };
  const want = Buffer.from(signLeadWebhook(secret, t, rawBody));
  const got = Buffer.from(headers.signature);
  return want.length === got.length && timingSafeEqual(want, got) ? { ok: true } : { ok: false, reason: 'signature mismatch' };
}

/**
 * Where a webhook may point: https, or plain http to this machine only (a local relay or a test receiver) —
 * a lead's personal data never crosses a network in clear. Credentials in the URL are refused: they would be
 * shown wherever the URL is; the signature authenticates MiniBot instead.
 */
export function webhookUrlError(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'not a valid URL';
  }
  if (u.username || u.password) return 'must not contain credentials (the signature authenticates the sender)';
  if (u.protocol === 'https:') return null;
  if (u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)) return null;
  return 'must be https (plain http only to localhost)';
}

/** The URL as the API and CLI show it: scheme, host and path; the query (which may hold a token) is hidden. */
export function redactWebhookUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid)';
  }
}

/** Answers worth retrying: the receiver is down or busy. Any other 4xx is a refusal that a retry cannot change. */
export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 425 || status === 429;
}

// A browser session for the codec endpoint. The Temporal Web UI calls /codec/decode from the operator's browser
// and cannot send our API key (it sends an Authorization header only with an OIDC login); what it can do is send
// cookies ("Include cross-origin credentials" in its Codec Server settings). So the dashboard, once the key is
// accepted, asks for a session: POST /codec/session (behind the key) sets a cookie that the codec's two routes
// accept instead of the key, for one working day.
// The cookie is HttpOnly (no page script reads it), SameSite=Strict (sent only by pages of the same site: the
// Web UI must be served from the API's site, e.g. temporal.example.fr beside minibot.example.fr, or 127.0.0.1
// beside 127.0.0.1), Path=/codec (no other route sees it) and Secure over HTTPS. It holds no secret: an expiry
// and an HMAC of it keyed with the API key, so rotating the key ends every session and the server keeps no state.
import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type RequestHandler, type Router } from 'express';

export const CODEC_SESSION_COOKIE = 'minibot_codec';
export const CODEC_SESSION_HOURS = 8;

function mac(apiKey: string, expiresAt: number): Buffer {
  return createHmac('sha256', apiKey).update(`minibot codec session v1|${expiresAt}`).digest();
}

/** The cookie's value: `<expiry ms>.<base64url HMAC>`. */
export function sessionToken(apiKey: string, expiresAt: number): string {
  return `${expiresAt}.${mac(apiKey, expiresAt).toString('base64url')}`;
}

export function validSessionToken(apiKey: string, token: string, now: number): boolean {
  const m = /^(\d{13})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return false;
  const expiresAt = Number(m[1]);
  if (expiresAt <= now) return false;
  const got = Buffer.from(m[2]!, 'base64url');
  return got.length === 32 && timingSafeEqual(got, mac(apiKey, expiresAt));
}

/**
 * Our cookie's value in a Cookie header. A lookup rather than a cookie parser: one name of our own whose value
 * is base64url and digits, so no quoting or percent-decoding rule applies.
 */
export function sessionCookie(header: string | undefined): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === CODEC_SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * Mounted on /codec before the API key check: a request to encode or decode that carries no Authorization
 * header but a valid session cookie is let through. Anything else meets the key check as usual.
 */
export function codecSessionAuth(apiKey: string, now: () => number = Date.now): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'POST' && (req.path === '/decode' || req.path === '/encode') && !req.get('authorization')) {
      const token = sessionCookie(req.get('cookie'));
      if (token && validSessionToken(apiKey, token, now())) res.locals.authenticatedBy = 'codec-session';
    }
    next();
  };
}

/** POST /codec/session (opens one, 204 with the cookie) and DELETE /codec/session (ends it); behind the key. */
export function codecSessionRoutes(apiKey: string, now: () => number = Date.now): Router {
  const r = express.Router();
  const options = (secure: boolean) => ({ httpOnly: true, sameSite: 'strict' as const, path: '/codec', secure });
  r.post('/session', (req, res) => {
    const ms = CODEC_SESSION_HOURS * 3_600_000;
    res.cookie(CODEC_SESSION_COOKIE, sessionToken(apiKey, now() + ms), { ...options(req.secure), maxAge: ms });
    res.status(204).end();
  });
  r.delete('/session', (req, res) => {
    res.clearCookie(CODEC_SESSION_COOKIE, options(req.secure));
    res.status(204).end();
  });
  return r;
}

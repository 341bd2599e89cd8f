// The codec server (Temporal's remote codec protocol) so that the Temporal Web UI and `temporal --codec-endpoint`
// show operators decrypted payloads: POST /codec/encode and /codec/decode with {"payloads":[{metadata, data}]}
// (proto3 JSON: bytes in base64), answered in the same shape. Behind the API key like every data route
// (Authorization: Bearer <API_KEY>), or the browser session the dashboard opens for the Web UI
// (api/codec-session.ts); browsers are let in only from the configured origins (CORS). The codec is
// the API's own client's (services/temporal.ts), so the endpoint decrypts exactly what MiniBot encrypts.
import express, { type RequestHandler, type Router } from 'express';
import type { PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { payloadFromJson, payloadToJson } from '../lib/payload-codec';
import { ApiError, badRequest, zodIssues } from './http/errors';

export const CODEC_PATH = '/codec';

const body = z.object({
  payloads: z.array(z.object({
    metadata: z.record(z.string(), z.string().base64()).optional(),
    data: z.string().base64().optional(),
  })).max(10_000).default([]), // proto3 JSON omits an empty list: {} is no payloads
});

/** Allowed browser origins: TEMPORAL_CODEC_CORS_ORIGINS, else the origin of TEMPORAL_UI_URL. */
export function codecOrigins(cfg: { TEMPORAL_CODEC_CORS_ORIGINS?: string; TEMPORAL_UI_URL?: string }): string[] {
  if (cfg.TEMPORAL_CODEC_CORS_ORIGINS) return cfg.TEMPORAL_CODEC_CORS_ORIGINS.split(',').map((s) => s.trim().replace(/\/$/, '')).filter(Boolean);
  return cfg.TEMPORAL_UI_URL ? [new URL(cfg.TEMPORAL_UI_URL).origin] : [];
}

/**
 * CORS for /codec, mounted before authentication: a preflight carries no credentials. Hand-written (a few
 * headers for one path) rather than the `cors` package.
 */
export function codecCors(origins: string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('origin');
    if (origin && origins.includes(origin)) {
      res.set('Access-Control-Allow-Origin', origin);
      res.set('Access-Control-Allow-Credentials', 'true');
      res.set('Vary', 'Origin');
      if (req.method === 'OPTIONS') {
        res.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
        res.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
        res.set('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
    }
    next();
  };
}

/** POST /codec/encode and /codec/decode (mounted after authentication). */
export function codecRouter(codecs: PayloadCodec[]): Router {
  const r = express.Router();
  // History pages hold many payloads: a larger limit than the API's JSON bodies.
  r.use(express.json({ limit: '4mb', type: ['application/json'] }));
  for (const op of ['encode', 'decode'] as const) {
    r.post(`/${op}`, async (req, res, next) => {
      try {
        const parsed = body.safeParse(req.body);
        if (!parsed.success) throw badRequest(zodIssues(parsed.error, 'body'));
        let payloads = parsed.data.payloads.map(payloadFromJson);
        // Encode applies the codecs in order, decode in reverse (the SDK's convention). With encryption off (no
        // TEMPORAL_CODEC_KEYS) there is no codec: payloads go back as they came, as unencrypted ones always do.
        for (const c of op === 'encode' ? codecs : [...codecs].reverse()) payloads = await c[op](payloads);
        res.json({ payloads: payloads.map(payloadToJson) });
      } catch (err) {
        next(err instanceof ApiError ? err : new ApiError(400, 'codec_error', `cannot ${op}: ${(err as Error).message}`));
      }
    });
  }
  return r;
}

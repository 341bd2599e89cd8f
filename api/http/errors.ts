// API errors: one JSON shape for every failure — { error: { code, message, issues? }, request_id }.
// Internal errors are logged with the request id and answered without their message (no leakage).
import type { ErrorRequestHandler } from 'express';
import type { z } from 'zod';
import { NotFoundError, ValidationError } from '../services/campaigns';

export interface Issue {
  field: string;
  reason: string;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly issues?: Issue[], readonly extra?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (issues: Issue[]) => new ApiError(400, 'validation_error', issues.map((i) => `${i.field}: ${i.reason}`).join('; '), issues);
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, extra?: Record<string, unknown>) => new ApiError(409, 'conflict', message, undefined, extra);

export function zodIssues(err: z.ZodError, where: string): Issue[] {
  return err.issues.map((i) => {
    const path = i.path.map(String).join('.');
    let reason = i.message;
    if (i.code === 'unrecognized_keys') reason = `unknown field(s): ${i.keys.join(', ')}`;
    return { field: path ? `${where}.${path}` : where, reason };
  });
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const requestId = String(res.locals.requestId ?? '');
  let e: ApiError;
  if (err instanceof ApiError) e = err;
  else if (err instanceof ValidationError) e = new ApiError(400, 'validation_error', err.message, err.issues.map((i) => ({ field: i.field.startsWith('env.') ? i.field : `body.${i.field}`, reason: i.reason })));
  else if (err instanceof NotFoundError) e = new ApiError(404, 'not_found', err.message);
  else if (err?.type === 'entity.too.large') e = new ApiError(413, 'payload_too_large', `request body larger than ${err.limit} bytes`);
  else if (err?.type === 'entity.parse.failed') e = new ApiError(400, 'invalid_json', 'request body is not valid JSON', [{ field: 'body', reason: 'invalid JSON' }]);
  else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') e = new ApiError(415, 'unsupported_encoding', 'unsupported body encoding');
  else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) e = new ApiError(err.status, 'bad_request', 'bad request');
  else {
    res.locals.log?.error({ err }, 'request failed');
    e = new ApiError(500, 'internal_error', 'internal error (see the server log with this request id)');
  }
  if (res.headersSent) return;
  res.status(e.status).json({ error: { code: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}), ...(e.extra ?? {}) }, request_id: requestId });
};

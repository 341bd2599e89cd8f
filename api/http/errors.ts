// API errors: one JSON shape for every failure — { error: { code, message, issues? }, request_id }.
// Internal errors are logged with the request id and answered without their message (no leakage).
import type { ErrorRequestHandler } from 'express';
import type { z } from 'zod';
import { CampaignStateError, NotFoundError, ValidationError } from '../../services/campaigns';
import { DEPENDENCY_LABEL, unreachableDependency, type Dependency } from '../../services/dependencies';

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
/** 422: the request matches the OpenAPI document, but a rule the document cannot express refuses it. */
export const unprocessable = (issues: Issue[]) => new ApiError(422, 'rule_violation', issues.map((i) => `${i.field}: ${i.reason}`).join('; '), issues);
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, extra?: Record<string, unknown>) => new ApiError(409, 'conflict', message, undefined, extra);
/** 503 naming the service that is down; `extra` says what was (or was not) written before it failed. */
export const serviceUnavailable = (dependency: Dependency, extra?: Record<string, unknown>) =>
  new ApiError(503, 'service_unavailable', `${DEPENDENCY_LABEL[dependency]} is unreachable; retry once it is back`, undefined, { dependency, ...extra });

export function zodIssues(err: z.ZodError, where: string): Issue[] {
  return err.issues.map((i) => {
    const path = i.path.map(String).join('.');
    let reason = i.message;
    if (i.code === 'unrecognized_keys') reason = `unknown field(s): ${i.keys.join(', ')}`;
    return { field: path ? `${where}.${path}` : where, reason };
  });
}

/**
 * The JSON error handler. An error that says a service is down (by its code) is a 503 naming it; an internal
 * error that carries no code is checked against the services (`probe`, bounded) before being called a bug,
 * because some drivers report a lost connection as a bare Error.
 */
export function errorHandler(probe?: () => Promise<Dependency | null>): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    void (async () => {
      const requestId = String(res.locals.requestId ?? '');
      let e: ApiError;
      const down = err instanceof ApiError ? null : unreachableDependency(err);
      if (err instanceof ApiError) e = err;
      else if (down) e = serviceUnavailable(down);
      // A service's ValidationError comes after the route's schema passed (mount() answers 400 for those): it is a
      // rule the document cannot express (a number range, the legal calling hours, the disclosure), hence 422.
      else if (err instanceof ValidationError) e = new ApiError(422, 'rule_violation', err.message, err.issues.map((i) => ({ field: i.field.startsWith('env.') ? i.field : `body.${i.field}`, reason: i.reason })));
      else if (err instanceof NotFoundError) e = new ApiError(404, 'not_found', err.message);
      else if (err instanceof CampaignStateError) e = new ApiError(409, 'conflict', err.message);
      else if (err?.type === 'entity.too.large') e = new ApiError(413, 'payload_too_large', `request body larger than ${err.limit} bytes`);
      else if (err?.type === 'entity.parse.failed') e = new ApiError(400, 'invalid_json', 'request body is not valid JSON', [{ field: 'body', reason: 'invalid JSON' }]);
      else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') e = new ApiError(415, 'unsupported_encoding', 'unsupported body encoding');
      else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) e = new ApiError(err.status, 'bad_request', 'bad request');
      else {
        const probed = probe ? await probe().catch(() => null) : null;
        if (probed) {
          res.locals.log?.warn({ err, dependency: probed }, 'request failed: a service is down');
          e = serviceUnavailable(probed);
        } else {
          res.locals.log?.error({ err }, 'request failed');
          e = new ApiError(500, 'internal_error', 'internal error (see the server log with this request id)');
        }
      }
      if (res.headersSent) {
        if (!res.writableEnded) res.end();
        return;
      }
      if (e.status === 503) res.set('Retry-After', '5');
      res.status(e.status).json({ error: { code: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}), ...(e.extra ?? {}) }, request_id: requestId });
    })();
  };
}

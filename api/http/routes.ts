// Route table: each endpoint is declared once with the zod schemas of its path parameters, query and body.
// The same declaration validates the request (express handler) and produces the OpenAPI 3.1 document, so
// the documentation can never drift from what the server accepts.
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { ApiError, badRequest, zodIssues } from './errors';
import type { Dependency } from '../../services/dependencies';

export type Method = 'get' | 'post' | 'put';

export interface Ctx<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  path: string; // express syntax: /contacts/:id
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Success status (default 200) and description; `content` other than JSON for SSE, Prometheus, files. */
  success?: { status?: number; description?: string; contentType?: string | string[]; schema?: z.ZodType };
  /** Other documented statuses. */
  errors?: number[];
  public?: boolean;
  /**
   * Services without which this endpoint cannot answer (503 naming the one that is down). Default: postgres.
   * Services an endpoint only reads for extra detail (the live workflow state) are not listed: it answers
   * without that detail.
   */
  needs?: Dependency[];
  handler: (ctx: Ctx<z.output<P>, z.output<Q>, z.output<B>>) => Promise<unknown>;
}

export type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

export function route<P extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(
  spec: RouteSpec<P, Q, B>,
): AnyRoute {
  return spec as unknown as AnyRoute;
}

/**
 * Strings Postgres cannot store (NUL) or that are not text at all (lone UTF-16 surrogates) are refused
 * everywhere, before any schema: the field is named in the error.
 */
function rejectBadText(v: unknown, path: string, depth = 0): void {
  if (depth > 20) throw badRequest([{ field: path, reason: 'nested too deeply' }]);
  if (typeof v === 'string') {
    if (/\u0000|[\uD800-\uDFFF]/u.test(v)) throw badRequest([{ field: path, reason: 'contains a NUL character or invalid Unicode' }]);
  } else if (Array.isArray(v)) v.forEach((x, i) => rejectBadText(x, `${path}.${i}`, depth + 1));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) {
    rejectBadText(k, path, depth + 1);
    rejectBadText(x, `${path}.${k}`, depth + 1);
  }
}

/** The schema's own type under optional/default/nullable wrappers ('number', 'string', …). */
function baseType(s: z.ZodType | undefined): string | undefined {
  let def = (s as { _zod?: { def: { type: string; innerType?: z.ZodType } } } | undefined)?._zod?.def;
  while (def && (def.type === 'optional' || def.type === 'default' || def.type === 'nullable')) {
    def = (def.innerType as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def;
  }
  return def?.type;
}

/**
 * `?offset=` is not a number: refused, where coercion would read it as 0 (the document says integer). Query
 * numbers are coerced from strings, so the empty string must be caught before the schema.
 */
function rejectEmptyNumbers(schema: z.ZodType | undefined, query: Record<string, unknown>): void {
  const shape = (schema as { shape?: Record<string, z.ZodType> } | undefined)?.shape;
  if (!shape) return;
  for (const [k, v] of Object.entries(query)) {
    if (v === '' && baseType(shape[k]) === 'number') throw badRequest([{ field: `query.${k}`, reason: 'expected a number, got an empty value' }]);
  }
}

function check<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(value);
  if (!r.success) throw badRequest(zodIssues(r.error, where));
  return r.data;
}

/** Mounts the routes on a router: validation first, then the handler; a returned value is sent as JSON. */
export function mount(routes: AnyRoute[]): Router {
  const router = Router();
  // A declared path with an undeclared method: 405 naming the methods it has (RFC 9110 §15.5.6), not a 404
  // that would say the path does not exist. OPTIONS answers the same list with 204. Literal paths are guarded
  // before every route, so that PUT /contacts/can-dial is a 405 there rather than PUT /contacts/:id with a bad
  // id; paths with parameters after, as the fallback of their own routes.
  const methodsByPath = new Map<string, Set<string>>();
  for (const r of routes) {
    const m = (methodsByPath.get(r.path) ?? methodsByPath.set(r.path, new Set()).get(r.path))!;
    m.add(r.method.toUpperCase());
    if (r.method === 'get') m.add('HEAD');
  }
  const notAllowed = (path: string, methods: Set<string>): RequestHandler => (req, res, next) => {
    if (methods.has(req.method)) return next();
    const allow = [...methods, 'OPTIONS'].join(', ');
    res.set('Allow', allow);
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    throw new ApiError(405, 'method_not_allowed', `${req.method.slice(0, 20)} is not allowed on ${path} (allowed: ${allow})`);
  };
  for (const [path, methods] of methodsByPath) if (!path.includes(':')) router.all(path, notAllowed(path, methods));
  for (const r of routes) {
    router[r.method](r.path, async (req, res) => {
      rejectBadText(req.body, 'body');
      rejectBadText({ ...(req.query as object) }, 'query');
      const params = check(r.params, req.params, 'path');
      rejectEmptyNumbers(r.query, { ...(req.query as object) });
      const query = check(r.query ?? z.object({}).strict(), { ...(req.query as object) }, 'query');
      if (!r.body && req.body && typeof req.body === 'object' && Object.keys(req.body).length > 0) {
        throw badRequest([{ field: 'body', reason: 'this endpoint takes no body' }]);
      }
      const body = check(r.body, req.body ?? {}, 'body');
      const out = await r.handler({ params, query, body, req, res } as Ctx<never, never, never>);
      if (out !== undefined && !res.headersSent) res.status(r.success?.status ?? 200).json(out);
    });
  }
  for (const [path, methods] of methodsByPath) if (path.includes(':')) router.all(path, notAllowed(path, methods));
  return router;
}

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request (the issues name each field and the reason)',
  401: 'Missing or wrong API key',
  404: 'Not found',
  409: 'Conflict with the current state',
  422: 'The request matches this document but a rule it cannot express refuses it (a number outside every assigned range, a schedule outside the legal calling hours, a consent dated in the future); the issues name each field and the reason',
  413: 'Body too large',
  429: 'Too many requests',
  503: 'A required service is down',
};

/** The services a route needs (503 when one is down). */
export const routeNeeds = (r: AnyRoute): Dependency[] => r.needs ?? ['postgres'];

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const s = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const s = jsonSchema(schema, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return {
      name, in: where, required: where === 'path' || (s.required ?? []).includes(name),
      ...(description ? { description } : {}), schema: rest,
    };
  });
}

export function openApiDocument(routes: AnyRoute[], info: { version: string; serverUrl?: string }): Record<string, unknown> {
  const errorSchema = {
    type: 'object',
    required: ['error', 'request_id'],
    properties: {
      error: {
        type: 'object', required: ['code', 'message'],
        properties: {
          code: { type: 'string' }, message: { type: 'string' },
          dependency: { type: 'string', enum: ['postgres', 'temporal'], description: 'With 503 (code service_unavailable): the service that is down' },
          issues: { type: 'array', items: { type: 'object', required: ['field', 'reason'], properties: { field: { type: 'string' }, reason: { type: 'string' } } } },
        },
      },
      request_id: { type: 'string' },
    },
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = r.path.replace(/:(\w+)/g, '{$1}');
    const status = String(r.success?.status ?? 200);
    const contentTypes = [r.success?.contentType ?? 'application/json'].flat();
    const responses: Record<string, unknown> = {
      [status]: {
        description: r.success?.description ?? 'OK',
        content: Object.fromEntries(contentTypes.map((t) => [t, {
          schema: r.success?.schema ? jsonSchema(r.success.schema, 'output') : t === 'application/json' ? { type: 'object' } : { type: 'string' },
        }])),
      },
    };
    const errs = new Set<number>([...(r.errors ?? []), ...(r.public ? [] : [401, 429]), ...(r.params || r.query || r.body ? [400] : [])]);
    if (r.body) errs.add(413);
    if (!r.public) errs.add(503);
    for (const code of [...errs].sort()) {
      const description = code === 503 && !r.public
        ? `A service this endpoint needs is down: ${routeNeeds(r).join(' or ')} (named in error.dependency; header Retry-After). Answered within 5 s, nothing half-written.`
        : ERROR_TEXT[code] ?? 'Error';
      responses[String(code)] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    const op: Record<string, unknown> = {
      operationId: `${r.method}${p.replace(/[{}]/g, '').replace(/[/-](\w)/g, (_m, c: string) => c.toUpperCase())}`,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } } : {}),
      responses,
      ...(r.public ? { security: [] } : { 'x-needs': routeNeeds(r) }),
    };
    (paths[p] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'MiniBot API',
      version: info.version,
      description: 'Outbound call robot: contacts, campaigns (Temporal workflows), calls, statistics. Every endpoint but /health needs `Authorization: Bearer <API_KEY>`.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API_KEY of the server' } },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}

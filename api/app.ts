// The MiniBot REST API as an express application (no listening here: api/server.ts does that, tests mount it
// on a free port). Order: request id + access log → security headers → rate limit → public pages (dashboard,
// docs, OpenAPI document, /health) → bearer authentication → codec server (api/codec.ts) → JSON body (bounded) → routes → JSON errors.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import { rateLimit } from 'express-rate-limit';
import swaggerUi from 'swagger-ui-express';
import { logger } from '../runtime/logger';
import { ApiError, errorHandler } from './http/errors';
import { mount, openApiDocument, route, type AnyRoute } from './http/routes';
import { createMetrics } from './metrics';
import { requestSpans } from './http/tracing';
import { tracing } from '../runtime/tracing';
import { probeDown } from '../services/dependencies';
import type { Deps } from './routes/common';
import { contactRoutes } from './routes/contacts';
import { campaignRoutes } from './routes/campaigns';
import { campaignPageRoutes } from './routes/campaign-page';
import { callRoutes } from './routes/calls';
import { statsRoutes } from './routes/stats';
import { healthRoutes } from './routes/health';
import { CODEC_PATH, codecCors, codecOrigins, codecRouter } from './codec';
import { codecSessionAuth, codecSessionRoutes } from './codec-session';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export interface AppOptions {
  apiKey: string;
  /** Requests per minute per client address (default 600). */
  rateLimitPerMinute?: number;
  /** Largest accepted JSON body (default 64 kB). */
  bodyLimit?: string;
  version?: string;
}

/** Constant-time comparison of two secrets of any length (compares their SHA-256 digests). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

export function generateApiKey(): string {
  return randomBytes(24).toString('base64url');
}

/** Every route of the API (used for the routes and the OpenAPI document alike). */
export function apiRoutes(d: Deps, metricsHandler: () => Promise<{ body: string; type: string }>): AnyRoute[] {
  return [
    ...healthRoutes(d),
    ...contactRoutes(d),
    ...campaignRoutes(d),
    ...campaignPageRoutes(d),
    ...callRoutes(d),
    ...statsRoutes(d),
    route({
      method: 'get', path: '/metrics', tag: 'system', summary: 'Prometheus metrics', success: { contentType: 'text/plain', description: 'Prometheus text format' },
      handler: async ({ res }) => {
        const m = await metricsHandler();
        res.type(m.type).send(m.body);
        return undefined;
      },
    }),
  ];
}

export function createApp(d: Deps, o: AppOptions): express.Express {
  const log = logger('api');
  const metrics = createMetrics(d);
  const routes = apiRoutes(d, async () => ({ body: await metrics.registry.metrics(), type: metrics.registry.contentType }));
  const doc = openApiDocument(routes, { version: o.version ?? '0.1.0' });
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  // A trace span per request when tracing is on (runtime/tracing.ts; api/http/tracing.ts).
  const traced = tracing();
  if (traced) app.use(requestSpans(traced));

  // Request id (given by a proxy when it looks safe, else generated) and access log. Hand-written: a dozen
  // lines, and it keeps phone numbers and query strings out of the log.
  app.use((req, res, next) => {
    const given = req.get('x-request-id');
    const id = given && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.locals.log = log.child({ requestId: id });
    res.set('X-Request-Id', id);
    const t0 = process.hrtime.bigint();
    res.on('finish', () => {
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const routePath = (req.route?.path as string | undefined) ?? (res.statusCode === 404 ? 'unmatched' : req.path.split('/').slice(0, 2).join('/'));
      metrics.http.observe({ method: req.method, route: routePath, status: String(res.statusCode) }, s);
      res.locals.log.info({ method: req.method, path: routePath, status: res.statusCode, ms: Math.round(s * 10000) / 10 }, 'request');
    });
    next();
  });

  app.use(helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"], // Swagger UI and ReDoc set inline styles
        imgSrc: ["'self'", 'data:'],
        mediaSrc: ["'self'", 'blob:'], // the campaign page plays recordings fetched with the API key (blob URLs)
        workerSrc: ["'self'", 'blob:'], // ReDoc's search worker
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginEmbedderPolicy: false,
  }));

  app.use(rateLimit({
    windowMs: 60_000,
    limit: o.rateLimitPerMinute ?? 600,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).json({ error: { code: 'rate_limited', message: 'too many requests, slow down' }, request_id: res.locals.requestId });
    },
  }));

  // Public, data-free pages: the dashboard shell (it asks for the key), the API documentation, /health.
  const pub = join(here, 'public');
  app.get('/', (_req, res) => res.sendFile(join(pub, 'index.html')));
  // A campaign's page: the same data-free shell for every id (its script reads the id from the path).
  app.get('/dashboard/campaigns/:id', (_req, res) => res.sendFile(join(pub, 'campaign.html')));
  app.use('/assets', express.static(pub, { index: false, fallthrough: true, maxAge: '1h' }));
  app.get('/assets/vendor/chart.umd.js', (_req, res) => res.sendFile(join(dirname(require.resolve('chart.js')), 'chart.umd.js')));
  app.get('/assets/vendor/redoc.standalone.js', (_req, res) => res.sendFile(join(dirname(require.resolve('redoc')), 'redoc.standalone.js')));
  app.get('/openapi.json', (_req, res) => res.json(doc));
  app.get('/redoc', (_req, res) => res.sendFile(join(pub, 'redoc.html')));
  app.use('/docs', swaggerUi.serveFiles(doc), swaggerUi.setup(doc, { customSiteTitle: 'MiniBot API', swaggerOptions: { persistAuthorization: true } }));
  const publicRoutes = routes.filter((r) => r.public);
  app.use(mount(publicRoutes));

  const auth: RequestHandler = (req, res, next) => {
    if (res.locals.authenticatedBy) return next(); // the Web UI's codec session (api/codec-session.ts)
    const h = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    if (!m || !safeEqual(m[1]!, o.apiKey)) {
      res.set('WWW-Authenticate', 'Bearer realm="minibot"');
      next(new ApiError(401, 'unauthorized', 'missing or invalid API key (Authorization: Bearer <API_KEY>)'));
      return;
    }
    next();
  };
  app.use(CODEC_PATH, codecCors(codecOrigins(d.cfg)));
  app.use(CODEC_PATH, codecSessionAuth(o.apiKey));
  app.use(auth);
  app.use(CODEC_PATH, codecSessionRoutes(o.apiKey));
  app.use(CODEC_PATH, codecRouter(d.client.options.dataConverter.payloadCodecs ?? []));
  app.use(express.json({ limit: o.bodyLimit ?? '64kb', strict: true, type: ['application/json', 'application/*+json'] }));
  app.use(mount(routes.filter((r) => !r.public)));
  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `no route ${req.method} ${req.path.slice(0, 100)}`)));
  app.use(errorHandler(() => probeDown(d)));
  return app;
}

export { openApiDocument };

// npm run api — the REST API, dashboard and docs. Configuration from runtime/config only. Without API_KEY the
// server refuses to start, except in development/test where it makes a random key and prints it once.
import { applyDevEnv } from '../runtime/dev-env';
import { ConfigError, config } from '../runtime/config';
import { logger } from '../runtime/logger';

applyDevEnv();
let cfg;
try {
  cfg = config();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(2);
  }
  throw e;
}
const log = logger('api');
if (!cfg.DATABASE_URL) {
  console.error('DATABASE_URL is not set and no dev stack runs (npm run dev:up)');
  process.exit(2);
}
const { createApp, generateApiKey } = await import('./app');
let apiKey = cfg.API_KEY;
if (!apiKey) {
  if (cfg.NODE_ENV === 'production') {
    console.error('API_KEY is not set: the API does not start without one in production');
    process.exit(2);
  }
  apiKey = generateApiKey();
  process.stderr.write(`API_KEY not set (${cfg.NODE_ENV} mode): generated key for this run:\n  ${apiKey}\n`);
}
// Tracing first (runtime/tracing.ts; nothing loaded unless OTEL_EXPORTER_OTLP_ENDPOINT is set): the Temporal
// client and the app created next pick it up.
const tracing = await (await import('../runtime/tracing')).startTracing(cfg, 'api');
const { createPrisma } = await import('../prisma/client');
const { temporalClient } = await import('../services/temporal');
// Both connect on first use and fail fast: the API starts, and answers 503 naming the service, while
// Postgres or Temporal is down, and serves again as soon as it is back.
const prisma = createPrisma(cfg.DATABASE_URL, { connectTimeoutMs: 3000 });
const client = await temporalClient(cfg, { lazy: true, failFast: true, connectTimeoutMs: 3000 });
const app = createApp({ cfg, prisma, client }, { apiKey, rateLimitPerMinute: cfg.API_RATE_LIMIT_PER_MINUTE });
const server = app.listen(cfg.API_PORT, cfg.API_HOST, () => {
  const a = server.address();
  const where = typeof a === 'object' && a ? `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}` : String(a);
  log.info({ url: where }, 'API listening');
  process.stderr.write(`MiniBot API on ${where} (dashboard /, docs /docs and /redoc)\n`);
});
server.on('error', (e) => {
  log.fatal({ err: e }, 'cannot listen');
  process.exit(1);
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log.info({ signal: sig }, 'shutting down');
    server.close();
    server.closeAllConnections();
    void Promise.allSettled([prisma.$disconnect(), client.connection.close(), tracing?.shutdown()]).then(() => process.exit(0));
  });
}

// GET /health: every part really probed, with its latency. 503 when a required part is down (database,
// Temporal; with the Asterisk backend also ARI and the media/streaming server). Ollama is optional.
import { connect } from 'node:net';
import { route, type AnyRoute } from '../http/routes';
import type { Deps } from './common';
import { valueWithin } from '../../lib/timeout';

interface Probe {
  status: string;
  latency_ms: number | null;
  required: boolean;
  detail?: string;
}

async function timed(required: boolean, f: () => Promise<string | void>, timeoutMs = 2000): Promise<Probe> {
  const t0 = performance.now();
  try {
    const r = await valueWithin(f().then((x) => x ?? 'healthy').catch((e: Error) => `down: ${e.message}`), timeoutMs);
    const ms = Math.round((performance.now() - t0) * 10) / 10;
    if (r === null) return { status: 'down', latency_ms: null, required, detail: `no answer within ${timeoutMs} ms` };
    if (r.startsWith('down: ')) return { status: 'down', latency_ms: ms, required, detail: r.slice(6).slice(0, 200) };
    return { status: r, latency_ms: ms, required };
  } catch (e) {
    return { status: 'down', latency_ms: null, required, detail: (e as Error).message.slice(0, 200) };
  }
}

function tcp(host: string, port: number): Promise<void> {
  return new Promise((ok, ko) => {
    const s = connect({ host, port }, () => {
      s.destroy();
      ok();
    });
    s.on('error', ko);
    s.setTimeout(1500, () => {
      s.destroy();
      ko(new Error('timeout'));
    });
  });
}

export async function health(d: Deps) {
  const { cfg, prisma, client } = d;
  const asterisk = cfg.TELEPHONY_BACKEND === 'asterisk';
  const [database, temporal, streaming, ari, ollama] = await Promise.all([
    timed(true, async () => {
      await prisma.$queryRaw`SELECT 1`;
    }),
    timed(true, async () => {
      // The namespace must be reachable, not only the frontend: describe it (also checks the connection).
      await client.workflowService.getSystemInfo({});
    }),
    asterisk
      ? timed(true, async () => {
          await tcp(cfg.AUDIOFORK_HOST, cfg.AUDIOFORK_PORT);
          return 'enabled';
        })
      : Promise.resolve<Probe>({ status: 'simulated', latency_ms: null, required: false, detail: 'TELEPHONY_BACKEND=simulated' }),
    asterisk
      ? timed(true, async () => {
          const r = await fetch(new URL('/ari/asterisk/ping', cfg.ARI_URL), {
            headers: { Authorization: 'Basic ' + Buffer.from(`${cfg.ARI_USERNAME}:${cfg.ARI_PASSWORD ?? ''}`).toString('base64') },
            signal: AbortSignal.timeout(1500),
          });
          if (!r.ok) throw new Error(`HTTP ${r.status}`);
        })
      : Promise.resolve<Probe>({ status: 'not_used', latency_ms: null, required: false }),
    cfg.OLLAMA_URL
      ? timed(false, async () => {
          const r = await fetch(new URL('/api/tags', cfg.OLLAMA_URL), { signal: AbortSignal.timeout(1500) });
          if (!r.ok) throw new Error(`HTTP ${r.status}`);
          const tags = (await r.json()) as { models?: { name: string }[] };
          return tags.models?.some((m) => m.name === cfg.OLLAMA_MODEL || m.name.startsWith(`${cfg.OLLAMA_MODEL}:`)) ? 'running' : `running (model ${cfg.OLLAMA_MODEL} missing)`;
        })
      : Promise.resolve<Probe>({ status: 'not_configured', latency_ms: null, required: false, detail: 'embedded intent engine only' }),
  ]);
  const parts = { database, temporal, streaming, asterisk: ari, ollama };
  const requiredDown = Object.values(parts).some((p) => p.required && p.status === 'down');
  // The dependency names used in 503 errors (error.dependency), for the parts that are down.
  const names: Record<string, string> = { database: 'postgres', temporal: 'temporal', streaming: 'streaming', asterisk: 'asterisk', ollama: 'ollama' };
  const down = Object.entries(parts).filter(([, p]) => p.status === 'down').map(([k]) => names[k] ?? k);
  const optionalDown = Object.values(parts).some((p) => !p.required && p.status === 'down');
  return {
    status: requiredDown ? 'unhealthy' : optionalDown ? 'degraded' : 'healthy',
    mode: asterisk ? 'streaming' : 'simulated',
    database: database.status,
    temporal: temporal.status,
    streaming: streaming.status,
    ollama: ollama.status,
    down,
    checks: parts,
    time: new Date().toISOString(),
  };
}

export function healthRoutes(d: Deps): AnyRoute[] {
  return [
    route({
      method: 'get', path: '/health', tag: 'system', summary: 'Health of every part (probed), no authentication', public: true, errors: [503],
      handler: async ({ res }) => {
        const h = await health(d);
        res.status(h.status === 'unhealthy' ? 503 : 200).json(h);
        return undefined;
      },
    }),
  ];
}

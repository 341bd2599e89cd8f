// npm run dev:up | dev:down | dev:status — the embedded development services.
import { devDown, devStatus, devUp, maskUrl } from './services/dev-stack';

const cmd = process.argv[2];

async function main(): Promise<number> {
  switch (cmd) {
    case 'up': {
      const s = await devUp();
      console.log(`Temporal gRPC   ${s.temporal.address} (namespace ${s.temporal.namespace})`);
      if (s.temporal.uiUrl) console.log(`Temporal Web UI ${s.temporal.uiUrl}`);
      console.log(`Postgres        ${maskUrl(s.postgres.url)}`);
      return 0;
    }
    case 'down':
      await devDown();
      return 0;
    case 'status': {
      const rows = await devStatus();
      const w = Math.max(...rows.map((r) => r.name.length));
      for (const r of rows) console.log(`${r.running ? 'up  ' : 'DOWN'}  ${r.name.padEnd(w)}  ${r.detail}`);
      return rows.every((r) => r.running) ? 0 : 1;
    }
    default:
      console.error('usage: dev-services.ts up|down|status');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`dev:${cmd}: ${(err as Error).message}`);
    process.exit(1);
  },
);

// Fault f (issue 10), Asterisk tier: Asterisk restarted while calls are up. A real campaign in real time through
// the harness's Temporal and Postgres, the workflows in an orchestration worker process, the calls in a media
// worker process (ARI adapter, chan_websocket media server, Vosk) on the chroot's Asterisk; while calls are in
// conversation, Asterisk is stopped (asterisk-down.sh: SIGTERM, every channel dies with it) and started again.
// Required: the ARI adapter reconnects, every call ends with an outcome and a cause (the cut ones failed /
// media_lost, then retried under the campaign's rules), and nothing is left in Asterisk afterwards.
// Run by `npm run bench:faults` and asserted by the e2e tier (test/e2e/asterisk-restart.test.ts); needs root
// and the Asterisk chroot (npm run asterisk:install), else it is reported skipped, with the reason.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseConfig } from '../../runtime/config';
import { ariCredentials } from '../../runtime/ari-credentials';
import { sleep } from '../../scripts/services/process';
import { CHROOT, INSTALLED, REPO, asteriskTestEnv, freeTcpPort } from '../helpers/asterisk';
import { ariGet } from '../helpers/asterisk-stack';
import { KO_MODEL_DIR, ensureKoreanModel } from '../helpers/media-fixtures';
import { finish, until, type FaultSpec } from './harness';

const run = promisify(execFile);
const CONTACTS = 6;

interface MediaHealth {
  ari: string;
  activeCalls: number;
  reconnections: number;
  media: { activeCalls: number };
}

export const asteriskRestart: FaultSpec = {
  name: 'asterisk-restart',
  description: 'Asterisk tier: Asterisk restarted (asterisk-down.sh, asterisk-up.sh) while calls are up; the ARI adapter reconnects',
  tier: 'e2e',
  // Real calls: real time.
  speed: 1,
  skip: () => {
    if (process.getuid?.() !== 0) return 'needs root (the Asterisk chroot and its mounts)';
    if (!INSTALLED) return `the Asterisk chroot is not installed at ${CHROOT}: run \`npm run asterisk:install\` (root)`;
    return false;
  },
  async run(lab) {
    const model = ensureKoreanModel();
    if ('error' in model) throw new Error(`Vosk test model: ${model.error}`);
    const mediaPort = await freeTcpPort();
    const healthPort = await freeTcpPort();
    const recordingsDir = mkdtempSync(join(tmpdir(), 'minibot-fault-restart-'));
    const env = await asteriskTestEnv(mediaPort);
    const cfg = parseConfig({ ...lab.env, ARI_URL: env.ARI_URL! });
    await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env });
    await run('bash', [join(REPO, 'scripts/asterisk-up.sh')], { env, timeout: 120_000 });
    try {
      await lab.worker('orchestration', 'orch');
      await lab.spawnWorker(['test/helpers/media-worker-process.ts'], 'media', {
        TELEPHONY_BACKEND: 'asterisk', ARI_URL: env.ARI_URL!, ARI_PASSWORD: ariCredentials(cfg).password, AUDIOFORK_HOST: '127.0.0.1',
        AUDIOFORK_PORT: String(mediaPort), MEDIA_HEALTH_PORT: String(healthPort), VOSK_MODEL_PATH: KO_MODEL_DIR, RECORDINGS_DIR: recordingsDir,
        // Every contact leads to the patient human callee (a long conversation: it is up when Asterisk goes).
        MINIBOT_TEST_DIAL: 'Local/human@minibot-test-callees',
        // Its warnings (undelivered events, failed teardowns) belong in the fault's output.
        LOG_LEVEL: process.env.MINIBOT_FAULT_MEDIA_LOG_LEVEL ?? 'warn',
      }, 'media-worker ready', true);
      const health = async () => (await fetch(`http://127.0.0.1:${healthPort}/`)).json() as Promise<MediaHealth>;
      const c = await lab.campaign(CONTACTS, {
        // Three attempts: a retry that falls inside the outage (originate_failed) still leaves one after it.
        maxConcurrent: 3, maxAttempts: 3,
        // A commercial campaign on real telephony presents a number in ARCEP's canvassing ranges.
        extra: { retry_delay_seconds: 1, record_calls: false, machine_policy: 'hangup', caller_id: '01 62 00 00 00' },
      });

      // Calls in conversation (answered, media connected), into the conversation past the hello's start.
      await until('calls in conversation', async () => (await health()).media.activeCalls >= 2, 180_000);
      await sleep(2000);
      const cut = await lab.prisma.call.findMany({ where: { campaignId: c.id, endedAt: null, answeredAt: { not: null } }, select: { workflowId: true, contactId: true, attempt: true } });
      lab.log(`restarting Asterisk with ${cut.length} answered calls up`);
      await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env });
      await until('the adapter sees ARI down', async () => (await health()).ari !== 'connected', 30_000);
      await run('bash', [join(REPO, 'scripts/asterisk-up.sh')], { env, timeout: 120_000 });
      const recoveredAt = Date.now();
      await until('ARI reconnected', async () => (await health()).ari === 'connected', 120_000);

      const r = await finish(lab, c, { inProgress: cut.length, recoveredAt, timeoutMs: 400_000 });
      const h = await health();
      const calls = await lab.prisma.call.findMany({ where: { campaignId: c.id } });
      const cutRows = cut.map((x) => calls.find((k) => k.workflowId === x.workflowId)!);
      const retried = cut.map((x) => {
        if (x.attempt >= c.maxAttempts) return true; // its last attempt: nothing more to dial
        // Called again (once per attempt, attempts in a row), and reached once Asterisk was back.
        const later = calls.filter((k) => k.contactId === x.contactId && k.attempt > x.attempt).sort((p, q) => p.attempt - q.attempt);
        return later.length >= 1 && later.every((k, i) => k.attempt === x.attempt + 1 + i) && later.some((k) => k.answeredAt !== null);
      });
      let channels: { name: string }[] = [];
      let bridges: { id: string }[] = [];
      await until('Asterisk empty', async () => {
        channels = await ariGet(cfg, '/channels');
        bridges = await ariGet(cfg, '/bridges');
        return channels.length === 0 && bridges.length === 0;
      }, 20_000).catch(() => undefined);
      r.checks = [
        { what: 'the restart hit answered calls (at least one)', expected: true, actual: cut.length >= 1 },
        { what: 'the ARI adapter reconnected (reconnections >= 1) and is connected', expected: { ari: 'connected', reconnected: true }, actual: { ari: h.ari, reconnected: h.reconnections >= 1 } },
        { what: 'the adapter holds no call afterwards', expected: 0, actual: h.activeCalls },
        { what: 'the cut calls ended failed / media_lost', expected: cut.map(() => 'failed/media_lost'), actual: cutRows.map((k) => `${k.outcome}/${k.hangupCause}${k.endedAt ? '' : ' (no end)'}`) },
        { what: 'every call ended with an outcome and a cause', expected: [], actual: calls.filter((k) => !k.outcome || !k.hangupCause || !k.endedAt).map((k) => k.workflowId) },
        { what: 'each cut contact was called again under the campaign rules, and reached after the restart', expected: cut.map(() => true), actual: retried },
        { what: 'no channel left in Asterisk', expected: [], actual: channels.map((x) => x.name) },
        { what: 'no bridge left in Asterisk', expected: [], actual: bridges.map((x) => x.id) },
      ];
      r.detail = { cutAtRestart: cut.length, calls: calls.length, reconnections: h.reconnections, outcomes: calls.map((k) => `${k.attempt}:${k.outcome}/${k.hangupCause}`) };
      return r;
    } finally {
      for (const w of lab.children) await w.kill();
      await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env }).catch((err) => lab.log(`asterisk-down: ${(err as Error).message}`));
      rmSync(recordingsDir, { recursive: true, force: true });
    }
  },
};

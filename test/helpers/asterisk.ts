// Shared by the Asterisk and end-to-end tiers: where the chroot lives, whether it is installed, and free ports.
import { existsSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { join, resolve } from 'node:path';
import { parseConfig } from '../../runtime/config';
import { freePort } from '../../scripts/services/process';

export const REPO = resolve(import.meta.dirname, '../..');
export const baseCfg = parseConfig();
export const CHROOT = baseCfg.MINIBOT_ASTERISK_ROOT ?? join(REPO, '.cache', 'asterisk-root');
export const INSTALLED = existsSync(join(CHROOT, '.minibot-asterisk-ready'));
/** What the test callees recorded (heard / said / mix), per callee channel. */
export const CALLEE_REC_DIR = join(CHROOT, 'var/spool/asterisk/monitor/minibot-test');

/** A skip reason only when the chroot is missing AND the user asked to skip; otherwise the tier must run. */
export function skipReason(what: string): string | false {
  return !INSTALLED && baseCfg.MINIBOT_SKIP_ASTERISK
    ? `Asterisk chroot not installed and MINIBOT_SKIP_ASTERISK=1: run \`npm run asterisk:install\` ${what}`
    : false;
}

export const freeTcpPort = () => freePort();

export async function freeUdpPort(): Promise<number> {
  return new Promise((res) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** The environment of an Asterisk of the test's own: free ARI and SIP ports, an RTP range, our media server. */
export async function asteriskTestEnv(mediaPort: number): Promise<NodeJS.ProcessEnv> {
  const rtp = 30000 + 2 * Math.floor(Math.random() * 10000); // even: RTP ports start on an even number
  return {
    ...process.env,
    ARI_URL: `http://127.0.0.1:${await freeTcpPort()}`,
    ASTERISK_SIP_PORT: String(await freeUdpPort()),
    ASTERISK_RTP_START: String(rtp),
    ASTERISK_RTP_END: String(rtp + 200),
    AUDIOFORK_HOST: '127.0.0.1',
    AUDIOFORK_PORT: String(mediaPort),
    ASTERISK_TEST_ENDPOINTS: 'true',
  };
}

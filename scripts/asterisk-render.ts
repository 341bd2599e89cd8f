// Renders asterisk-configs/*.conf into an Asterisk config directory from the environment (runtime/config.ts).
//
//   npx tsx scripts/asterisk-render.ts --out <dir> [--moddir <modules dir>]
//
// Templates use ${NAME} for the renderer's own names (renderVars() below); every other ${...} is left for
// Asterisk (dialplan variables). `;@if NAME` ... `;@endif` keeps a block only when NAME is set and not false.
// The ARI password comes from ARI_PASSWORD or is generated once into data/asterisk/ari-password (mode 600,
// ignored by git): there is never a working default password.
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { config, type Config } from '../runtime/config';
import { ariCredentials, type AriCredentials } from '../runtime/ari-credentials';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TEMPLATES_DIR = join(REPO_ROOT, 'asterisk-configs');
// The credentials are the processes' too (the worker connects with them): runtime/ari-credentials.ts.
export { ARI_PASSWORD_FILE, ASTERISK_DATA_DIR, ariCredentials, type AriCredentials } from '../runtime/ari-credentials';

export class RenderError extends Error {
  constructor(readonly variable: string, reason: string) {
    super(`${variable}: ${reason}`);
    this.name = 'RenderError';
  }
}

const ms = (seconds: number) => String(Math.round(seconds * 1000));
// Characters that would break out of an Asterisk config value or a dialplan argument.
const UNSAFE = /[\n\r;,()[\]${}"]/;

/** The values the templates may use, computed from the configuration. Pure: no file access. */
export function renderVars(cfg: Config, ari: AriCredentials, moddir: string): Record<string, string> {
  const ariUrl = new URL(cfg.ARI_URL);
  const httpHost = ariUrl.hostname === 'localhost' ? '127.0.0.1' : ariUrl.hostname.replace(/^\[|\]$/g, '');
  const httpPort = ariUrl.port || (ariUrl.protocol === 'https:' ? '443' : '80');

  if (cfg.AMD_HUMAN_SPEECH_THRESHOLD >= cfg.AMD_MACHINE_SPEECH_THRESHOLD) {
    throw new RenderError(
      'AMD_HUMAN_SPEECH_THRESHOLD',
      `must be below AMD_MACHINE_SPEECH_THRESHOLD (${cfg.AMD_HUMAN_SPEECH_THRESHOLD} >= ${cfg.AMD_MACHINE_SPEECH_THRESHOLD})`,
    );
  }
  const greetingMs = Math.round(cfg.AMD_MACHINE_SPEECH_THRESHOLD * 1000);
  const afterGreetingMs = Math.round(cfg.AMD_SILENCE_THRESHOLD * 1000);
  // app_amd answers NOTSURE once total_analysis_time is spent: it must leave room for a full greeting + silence.
  const totalMs = Math.max(cfg.CALL_AMD_TIMEOUT_MS, greetingMs + afterGreetingMs + 500);

  const testEndpoints = cfg.ASTERISK_TEST_ENDPOINTS ?? cfg.NODE_ENV !== 'production';
  if (testEndpoints && !/^127\./.test(cfg.ASTERISK_SIP_BIND)) {
    throw new RenderError(
      'ASTERISK_TEST_ENDPOINTS',
      `the loopback test endpoint accepts unauthenticated calls from 127.0.0.1; it needs ASTERISK_SIP_BIND on loopback (is ${cfg.ASTERISK_SIP_BIND}) — set ASTERISK_TEST_ENDPOINTS=false`,
    );
  }
  if (cfg.ASTERISK_RTP_START >= cfg.ASTERISK_RTP_END) {
    throw new RenderError('ASTERISK_RTP_START', 'must be below ASTERISK_RTP_END');
  }
  if (cfg.SIP_TRUNK_HOST) {
    for (const name of ['SIP_TRUNK_USERNAME', 'SIP_TRUNK_PASSWORD'] as const) {
      if (!cfg[name]) throw new RenderError(name, 'required when SIP_TRUNK_HOST is set');
    }
  }

  const vars: Record<string, string> = {
    ARI_USERNAME: ari.username,
    ARI_PASSWORD: ari.password,
    ARI_APP: ari.app,
    ASTERISK_HTTP_BIND: httpHost,
    ASTERISK_HTTP_PORT: httpPort,
    ASTERISK_SIP_BIND: cfg.ASTERISK_SIP_BIND,
    ASTERISK_SIP_PORT: String(cfg.ASTERISK_SIP_PORT),
    ASTERISK_RTP_START: String(cfg.ASTERISK_RTP_START),
    ASTERISK_RTP_END: String(cfg.ASTERISK_RTP_END),
    ASTERISK_MODDIR: moddir,
    ASTERISK_TEST_ENDPOINTS: testEndpoints ? 'yes' : '',
    AUDIOFORK_HOST: cfg.AUDIOFORK_HOST,
    AUDIOFORK_PORT: String(cfg.AUDIOFORK_PORT),
    AMD_TOTAL_ANALYSIS_MS: String(totalMs),
    AMD_INITIAL_SILENCE_MS: '2500',
    AMD_GREETING_MS: String(greetingMs),
    AMD_AFTER_GREETING_SILENCE_MS: String(afterGreetingMs),
    AMD_MAX_WORD_LENGTH_MS: String(greetingMs),
    AMD_MAX_WORDS: '6',
    AMD_HUMAN_SPEECH_MS: ms(cfg.AMD_HUMAN_SPEECH_THRESHOLD),
    SIP_TRUNK_HOST: cfg.SIP_TRUNK_HOST ?? '',
    SIP_TRUNK_PORT: String(cfg.SIP_TRUNK_PORT),
    SIP_TRUNK_USERNAME: cfg.SIP_TRUNK_USERNAME ?? '',
    SIP_TRUNK_PASSWORD: cfg.SIP_TRUNK_PASSWORD ?? '',
    SIP_TRUNK_FROM_DOMAIN: cfg.SIP_TRUNK_FROM_DOMAIN ?? cfg.SIP_TRUNK_HOST ?? '',
    SIP_TRUNK_CALLER_ID: cfg.SIP_TRUNK_CALLER_ID ?? '',
    SIP_TRUNK_REGISTER: cfg.SIP_TRUNK_HOST && cfg.SIP_TRUNK_REGISTER ? 'yes' : '',
    SIP_TRUNK_PUBLIC_IP: cfg.SIP_TRUNK_PUBLIC_IP ?? '',
  };
  for (const [name, value] of Object.entries(vars)) {
    if (UNSAFE.test(value)) {
      throw new RenderError(name.startsWith('ASTERISK_HTTP') ? 'ARI_URL' : name, `contains a character Asterisk config cannot carry safely: ${JSON.stringify(value)}`);
    }
  }
  return vars;
}

/** Renders one template text. Pure. Unknown ${...} are left to Asterisk; `;@if NAME` blocks need vars[NAME]. */
export function renderTemplate(text: string, vars: Record<string, string>, file = 'template'): string {
  const out: string[] = [];
  const stack: boolean[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const cond = /^\s*;@if\s+([A-Z0-9_]+)\s*$/.exec(line);
    if (cond) {
      const name = cond[1]!;
      if (!(name in vars)) throw new RenderError(name, `${file}:${i + 1}: unknown name in ;@if`);
      stack.push(vars[name] !== '');
      return;
    }
    if (/^\s*;@endif\s*$/.test(line)) {
      if (!stack.length) throw new RenderError('template', `${file}:${i + 1}: ;@endif without ;@if`);
      stack.pop();
      return;
    }
    if (stack.every(Boolean)) {
      out.push(line.replace(/\$\{([A-Z0-9_]+)\}/g, (all, name: string) => (name in vars ? vars[name]! : all)));
    }
  });
  if (stack.length) throw new RenderError('template', `${file}: ;@if without ;@endif`);
  return out.join('\n');
}

/**
 * websocket_client.conf's connections for the further media workers of this Asterisk (ASTERISK_MEDIA_WORKERS):
 * copies of the rendered [minibot-media] section with their own name and URI, so that every connection keeps
 * the same options. Pure.
 */
export function extraMediaConnections(rendered: string, workers: Config['ASTERISK_MEDIA_WORKERS']): string {
  if (!workers?.length) return rendered;
  const section = /^\[minibot-media\]\n(?:(?!\[).*\n?)*/m.exec(rendered)?.[0];
  if (!section || !/^uri = .*$/m.test(section)) throw new RenderError('ASTERISK_MEDIA_WORKERS', 'websocket_client.conf has no [minibot-media] section with a uri to copy');
  const extra = workers.map((w) =>
    section.replace(/^\[minibot-media\]/, `[${w.connection}]`).replace(/^uri = .*$/m, `uri = ws://${w.host}:${w.port}`).trimEnd());
  return `${rendered.trimEnd()}\n\n; Further media workers (ASTERISK_MEDIA_WORKERS)\n${extra.join('\n\n')}\n`;
}

/** Renders every asterisk-configs/*.conf into outDir. Returns the written file names. */
export function renderAll(outDir: string, moddir: string, cfg: Config = config()): string[] {
  const vars = renderVars(cfg, ariCredentials(cfg), moddir);
  mkdirSync(outDir, { recursive: true });
  const files = readdirSync(TEMPLATES_DIR).filter((f) => f.endsWith('.conf'));
  for (const f of files) {
    let rendered = renderTemplate(readFileSync(join(TEMPLATES_DIR, f), 'utf8'), vars, f);
    if (f === 'websocket_client.conf') rendered = extraMediaConnections(rendered, cfg.ASTERISK_MEDIA_WORKERS);
    const target = join(outDir, f);
    writeFileSync(target, rendered, { mode: 0o640 });
    chmodSync(target, 0o640);
  }
  return files;
}

function main(argv: string[]): void {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const out = arg('--out');
  if (!out) {
    console.error('usage: tsx scripts/asterisk-render.ts --out <dir> [--moddir <dir>]');
    process.exit(2);
  }
  const moddir = arg('--moddir') ?? '/usr/lib/x86_64-linux-gnu/asterisk/modules';
  try {
    const files = renderAll(out, moddir);
    console.log(`rendered ${files.length} files into ${out}: ${files.join(' ')}`);
  } catch (e) {
    console.error(`asterisk-render: ${(e as Error).message}`);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2));
}

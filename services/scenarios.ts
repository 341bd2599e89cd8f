// The scenario loader: finds scenario files (the repository's built-in scenarios/ folder, then the operator's
// SCENARIOS_DIR), reads them with their prompt folders, and compiles them through lib/scenario-file.ts.
// Used by the API, the CLI (minibot scenario …), campaign launch, the campaign workflow's activity that hands
// each new call its graph, the telephony side (which WAV a prompt id plays) and audio:build / audio:validate.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { compileScenarioFile, formatIssue, type ScenarioContext, type ScenarioIssue } from '../lib/scenario-file';
import { PROMPTS, type Scenario } from '../lib/scenario';
import type { Config } from '../runtime/config';
import { ROOT } from '../runtime/paths';
import { loadPromptTexts } from './prompts';

export const BUILT_IN_SCENARIOS_DIR = join(ROOT, 'scenarios');
const FILE_NAMES = ['scenario.yaml', 'scenario.yml', 'scenario.json'];

export interface LoadedScenario {
  /** The folder's name (a scenario file's `name` must equal it). */
  name: string;
  dir: string;
  file: string;
  source: 'built-in' | 'operator';
  /** The compiled graph, or null when the file has issues. */
  scenario: Scenario | null;
  description: string | null;
  /** The texts of the scenario's own prompts (prompts/<id>.wav). */
  prompts: Record<string, string>;
  issues: ScenarioIssue[];
}

export class ScenarioError extends Error {
  constructor(
    message: string,
    readonly issues: ScenarioIssue[] = [],
  ) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** Where scenarios and prompts are: AUDIO_DIR (the shared prompt library) and SCENARIOS_DIR. */
export type ScenarioFolders = Pick<Config, 'AUDIO_DIR'> & Partial<Pick<Config, 'SCENARIOS_DIR'>>;
type Folders = ScenarioFolders;

/** The scenario file of a folder (scenario.yaml, .yml or .json), or null. */
export function scenarioFileIn(dir: string): string | null {
  for (const f of FILE_NAMES) if (existsSync(join(dir, f))) return join(dir, f);
  return null;
}

const wavIds = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => extname(f).toLowerCase() === '.wav').map((f) => basename(f, extname(f))) : []);

/** What the validator needs from the shared prompt library (AUDIO_DIR): its WAVs and texts. */
function sharedContext(cfg: Folders): ScenarioContext['shared'] {
  const audio = resolve(cfg.AUDIO_DIR);
  // The ten shared prompts are known ids even before their WAVs are built (audio:validate checks those files).
  const files = [...new Set([...PROMPTS, ...wavIds(audio)])];
  try {
    const t = loadPromptTexts(audio);
    return { files, texts: t.texts, identity: t.identity };
  } catch (e) {
    // No usable prompts.json: a scenario must carry its own texts and disclosure.
    return { files, texts: {}, identity: null, identityError: (e as Error).message };
  }
}

/** Reads and compiles the scenario in `dir` (any folder: `minibot scenario validate <dir>`). */
export function loadScenarioDir(dir: string, cfg: Folders, source: LoadedScenario['source'] = 'operator', shared: ScenarioContext['shared'] = sharedContext(cfg)): LoadedScenario {
  const abs = resolve(dir);
  const name = basename(abs);
  const file = scenarioFileIn(abs);
  const base = { name, dir: abs, source, scenario: null, description: null, prompts: {} };
  if (!file) {
    return { ...base, file: join(abs, 'scenario.yaml'), issues: [{ file: join(dir, 'scenario.yaml'), line: null, path: '', message: `no scenario file (${FILE_NAMES.join(', ')}) in this folder` }] };
  }
  const shown = file.startsWith(process.cwd() + '/') ? file.slice(process.cwd().length + 1) : file;
  const r = compileScenarioFile(readFileSync(file, 'utf8'), shown, { ownPromptFiles: wavIds(join(abs, 'prompts')), shared });
  const issues = [...r.issues];
  if (r.scenario && r.scenario.name !== name) {
    issues.push({ file: shown, line: 1, path: 'name', message: `"${r.scenario.name}" differs from its folder's name "${name}"` });
  }
  return { ...base, file, scenario: issues.length ? null : r.scenario, description: r.description, prompts: r.prompts, issues };
}

function roots(cfg: Folders): [string, LoadedScenario['source']][] {
  const r: [string, LoadedScenario['source']][] = [[BUILT_IN_SCENARIOS_DIR, 'built-in']];
  if (cfg.SCENARIOS_DIR) {
    const dir = resolve(cfg.SCENARIOS_DIR);
    if (!existsSync(dir)) throw new ScenarioError(`SCENARIOS_DIR=${cfg.SCENARIOS_DIR}: no such folder`);
    r.push([dir, 'operator']);
  }
  return r;
}

/** The scenario folders, built-in first, without reading the files (names are folder names). */
function folders(cfg: Folders): { name: string; dir: string; source: LoadedScenario['source'] }[] {
  const out: { name: string; dir: string; source: LoadedScenario['source'] }[] = [];
  for (const [root, source] of roots(cfg)) {
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root).sort()) {
      const dir = join(root, name);
      if (statSync(dir).isDirectory() && scenarioFileIn(dir)) out.push({ name, dir, source });
    }
  }
  return out;
}

function load(f: { name: string; dir: string; source: LoadedScenario['source'] }, all: { name: string; dir: string }[], cfg: Folders, shared?: ScenarioContext['shared']): LoadedScenario {
  const s = loadScenarioDir(f.dir, cfg, f.source, shared);
  const taken = all.find((o) => o.name === f.name && o.dir !== f.dir);
  if (taken && f.source === 'operator') {
    s.scenario = null;
    s.issues.push({ file: s.file, line: null, path: 'name', message: `a scenario named "${s.name}" already exists (${taken.dir})` });
  }
  return s;
}

/** Every scenario, compiled: the built-in ones, then the operator's (a name already taken is refused). */
export function listScenarios(cfg: Folders): LoadedScenario[] {
  const shared = sharedContext(cfg);
  const all = folders(cfg);
  return all.map((f) => load(f, all, cfg, shared));
}

/** The names a campaign may use (folders with a scenario file; whether each is valid is checked at launch). */
export function scenarioNames(cfg: Folders): string[] {
  return [...new Set(folders(cfg).map((f) => f.name))];
}

/** One scenario by name, compiled alone; throws a ScenarioError naming the scenarios known. */
export function findScenario(cfg: Folders, name: string): LoadedScenario {
  const all = folders(cfg);
  const f = all.find((x) => x.name === name); // built-in first: an operator's folder of the same name is refused
  if (!f) throw new ScenarioError(`unknown scenario "${name}" (known: ${[...new Set(all.map((x) => x.name))].join(', ')})`);
  return load(f, all, cfg);
}

/** The compiled graph of a valid scenario; throws a ScenarioError listing its issues otherwise. */
export function compiledScenario(cfg: Folders, name: string): Scenario {
  const s = findScenario(cfg, name);
  if (!s.scenario) throw new ScenarioError(`scenario "${name}" is not valid:\n${s.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`, s.issues);
  return s.scenario;
}

/**
 * The WAV a prompt id plays in a scenario: the scenario's own prompts/<id>.wav when it has one, else the shared
 * library's AUDIO_DIR/<id>.wav (the built-in scenarios use the shared library only).
 */
export function promptWavPath(cfg: Folders, scenario: string | undefined, prompt: string): string {
  if (scenario) {
    for (const root of [BUILT_IN_SCENARIOS_DIR, cfg.SCENARIOS_DIR ? resolve(cfg.SCENARIOS_DIR) : null]) {
      if (!root) continue;
      const own = join(root, scenario, 'prompts', `${prompt}.wav`);
      if (existsSync(own)) return own;
    }
  }
  return resolve(cfg.AUDIO_DIR, `${prompt}.wav`);
}

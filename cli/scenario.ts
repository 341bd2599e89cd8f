// `minibot scenario list | validate <dir> | show <name>`: the scenario loader (services/scenarios.ts) for operators.
import { config } from '../runtime/config';
import { formatIssue } from '../lib/scenario-file';
import { scenarioText } from '../lib/scenario-text';
import { loadPromptTexts } from '../services/prompts';
import { findScenario, listScenarios, loadScenarioDir, ScenarioError } from '../services/scenarios';

export async function runScenarioList(o: { json: boolean }): Promise<number> {
  let all;
  try {
    all = listScenarios(config());
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    console.error(`minibot: ${e.message}`);
    return 2;
  }
  if (o.json) {
    console.log(JSON.stringify(all.map((s) => ({ name: s.name, source: s.source, file: s.file, valid: s.issues.length === 0, description: s.description, issues: s.issues }))));
  } else {
    for (const s of all) {
      console.log(`${s.issues.length ? '✗' : '✓'} ${s.name.padEnd(20)} ${s.source.padEnd(8)}  ${s.description ?? ''}`);
      for (const i of s.issues) console.log(`    ${formatIssue(i)}`);
    }
  }
  return all.some((s) => s.issues.length) ? 1 : 0;
}

export async function runScenarioValidate(dir: string, o: { json: boolean }): Promise<number> {
  const s = loadScenarioDir(dir, config());
  if (o.json) console.log(JSON.stringify({ name: s.name, file: s.file, valid: s.issues.length === 0, issues: s.issues }));
  else if (s.issues.length) {
    for (const i of s.issues) console.error(formatIssue(i));
    console.error(`${s.issues.length} problem(s): scenario "${s.name}" is not valid`);
  } else {
    const steps = Object.keys(s.scenario!.steps).length;
    console.log(`✓ ${s.name}: ${steps} steps, ${Object.keys(s.prompts).length} prompt(s) of its own, valid`);
  }
  return s.issues.length ? 1 : 0;
}

export async function runScenarioShow(name: string, o: { json: boolean }): Promise<number> {
  let s;
  try {
    s = findScenario(config(), name);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    console.error(`minibot: ${e.message}`);
    return 2;
  }
  if (!s.scenario) {
    for (const i of s.issues) console.error(formatIssue(i));
    console.error(`scenario "${name}" is not valid (minibot scenario validate ${s.dir})`);
    return 1;
  }
  if (o.json) console.log(JSON.stringify(s.scenario, null, 2));
  else {
    let shared: Record<string, string> = {};
    try {
      shared = loadPromptTexts(config().AUDIO_DIR).texts;
    } catch {
      // texts are shown when known; the graph does not need them
    }
    process.stdout.write(scenarioText(s.scenario, { ...shared, ...s.prompts }));
  }
  return 0;
}

// Keeps the documentation of the environment in step with runtime/config.ts, the one place variables are declared:
// writes .env.example and the variables table of README.md (between <!-- env:start --> and <!-- env:end -->),
// each variable with its default and the comment written above it in runtime/config.ts.
//   npm run env:docs            rewrite both
//   npm run env:docs -- --check exit 1 if either is out of date (the unit tests run this)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envSchema, parseConfig } from '../runtime/config';
import { ROOT } from './services/paths';

interface Var {
  name: string;
  comment: string;
  value: string | undefined;
}

/** Each variable of the schema with the comment block above its declaration in runtime/config.ts. */
export function describeEnv(): Var[] {
  const source = readFileSync(join(ROOT, 'runtime', 'config.ts'), 'utf8').split('\n');
  const defaults = parseConfig({}) as Record<string, unknown>;
  let comment: string[] = [];
  let afterKey = false;
  const found = new Map<string, string>();
  for (const line of source) {
    const c = /^\s*\/\/\s?(.*)$/.exec(line);
    if (c) {
      if (afterKey) comment = []; // a comment after a declaration starts a new block
      afterKey = false;
      comment.push(c[1]!.trim());
      continue;
    }
    const k = /^\s{2}([A-Z][A-Z0-9_]+):/.exec(line);
    if (k) {
      found.set(k[1]!, comment.join(' ')); // the comment also describes the variables that follow it
      afterKey = true;
      continue;
    }
    if (line.trim() === '') {
      comment = [];
      afterKey = false;
    }
  }
  return Object.keys(envSchema.shape).map((name) => {
    const v = defaults[name];
    return { name, comment: found.get(name) ?? '', value: v === undefined ? undefined : Array.isArray(v) ? v.join(',') : String(v) };
  });
}

export function renderEnvExample(vars: Var[]): string {
  const out = [
    '# MiniBot environment. Generated from runtime/config.ts by `npm run env:docs`: edit the comments there.',
    '# Every variable is optional in development (the defaults shown); secrets have no working default.',
    '',
  ];
  let last = '';
  for (const v of vars) {
    if (v.comment !== last) {
      if (v.comment) out.push('', ...wrap(v.comment, 110).map((l) => `# ${l}`));
      last = v.comment;
    }
    out.push(v.value === undefined ? `# ${v.name}=` : `${v.name}=${v.value}`);
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n') + '\n';
}

export function renderEnvTable(vars: Var[]): string {
  const rows = vars.map((v) => `| \`${v.name}\` | ${v.value === undefined ? '*(unset)*' : `\`${v.value}\``} | ${v.comment.replace(/\|/g, '\\|')} |`);
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of text.split(/\s+/)) {
    if (cur && cur.length + w.length + 1 > width) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines;
}

export function expectedDocs(): { envExample: string; readme: string } {
  const vars = describeEnv();
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- env:start -->');
  const end = readme.indexOf('<!-- env:end -->');
  if (start < 0 || end < start) throw new Error('README.md has no <!-- env:start --> … <!-- env:end --> section');
  const newReadme = `${readme.slice(0, start)}<!-- env:start -->\n${renderEnvTable(vars)}\n${readme.slice(end)}`;
  return { envExample: renderEnvExample(vars), readme: newReadme };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const want = expectedDocs();
  const files = { '.env.example': want.envExample, 'README.md': want.readme };
  if (process.argv.includes('--check')) {
    const stale = Object.entries(files).filter(([f, text]) => {
      try {
        return readFileSync(join(ROOT, f), 'utf8') !== text;
      } catch {
        return true;
      }
    });
    if (stale.length) {
      console.error(`out of date: ${stale.map(([f]) => f).join(', ')} (run npm run env:docs)`);
      process.exit(1);
    }
  } else {
    for (const [f, text] of Object.entries(files)) writeFileSync(join(ROOT, f), text);
    console.log('wrote .env.example and the README variables table');
  }
}

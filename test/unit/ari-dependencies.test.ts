// ari-client@2.2.0 (kept: the product's design card names it) pulls request@2.88 (deprecated, open SSRF
// advisory, no fixed release), tough-cookie@2 (CVE-2023-26136), form-data@2.3 (CVE-2025-7783) and, through
// swagger-client's shred, cookiejar@1 (CVE-2022-25901). package.json's `overrides` replace them with
// maintained, API-compatible releases; this test reads the installed tree (`npm ls`) and fails if any
// vulnerable release is resolved anywhere, or if the override stopped applying under ari-client.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

interface LsNode {
  name?: string;
  version?: string;
  path?: string;
  dependencies?: Record<string, LsNode>;
}

// npm ls exits 1 on problems unrelated to this test (e.g. an extraneous package): the tree it prints is what counts.
const ls = spawnSync('npm', ['ls', '--all', '--json', '--long'], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
const tree = JSON.parse(ls.stdout) as LsNode;

/** Every resolved package of the tree: [key it is required under, its real name, version, path]. */
function walk(n: LsNode, out: { key: string; name: string; version: string; path: string }[] = []) {
  for (const [key, d] of Object.entries(n.dependencies ?? {})) {
    if (d.version) out.push({ key, name: d.name ?? key, version: d.version, path: d.path ?? '' });
    walk(d, out);
  }
  return out;
}

// Three numbers are enough for these packages' releases (no pre-releases involved); semver is not a dependency.
const v = (s: string) => s.split(/[.-]/).slice(0, 3).map(Number) as [number, number, number];
const gte = (a: string, b: string) => {
  const [x, y] = [v(a), v(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! > y[i]!;
  return true;
};

const all = walk(tree);

test('ari-client resolves @cypress/request, tough-cookie ≥ 4.1.3 and a fixed form-data (the overrides apply)', () => {
  const ari = tree.dependencies?.['ari-client'];
  assert.ok(ari?.version, 'ari-client is installed');
  const req = ari.dependencies?.request;
  assert.equal(req?.name, '@cypress/request', 'ari-client requires "request": it must resolve to @cypress/request');
  const fd = req.dependencies?.['form-data'];
  const tc = req.dependencies?.['tough-cookie'];
  assert.ok(fd?.version && gte(fd.version, '4.0.4'), `form-data under ari-client: ${fd?.version}`);
  assert.ok(tc?.version && gte(tc.version, '4.1.3'), `tough-cookie under ari-client: ${tc?.version}`);
  const jar = ari.dependencies?.['swagger-client']?.dependencies?.shred?.dependencies?.cookiejar;
  assert.ok(jar?.version && gte(jar.version, '2.1.4'), `cookiejar under swagger-client/shred: ${jar?.version}`);
});

test('no vulnerable request, tough-cookie, form-data or cookiejar anywhere in the installed tree', () => {
  const bad = all.filter(
    (p) =>
      p.name === 'request' ||
      (p.name === 'tough-cookie' && !gte(p.version, '4.1.3')) ||
      // CVE-2025-7783: fixed in 2.5.4, 3.0.4 and 4.0.4.
      (p.name === 'form-data' && !(gte(p.version, '4.0.4') || (v(p.version)[0] === 3 && gte(p.version, '3.0.4')) || (v(p.version)[0] === 2 && gte(p.version, '2.5.4')))) ||
      (p.name === 'cookiejar' && !gte(p.version, '2.1.4')),
  );
  assert.deepEqual(bad.map((p) => `${p.name}@${p.version} (${p.path})`), []);
  assert.ok(all.some((p) => p.name === 'form-data'), 'the tree was read (form-data present)');
});

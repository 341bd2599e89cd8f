import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { envSchema } from '../../runtime/config';
import { expectedDocs } from '../../scripts/env-docs';

test('.env.example and the README table document every variable of runtime/config.ts, up to date', () => {
  const want = expectedDocs();
  const envExample = readFileSync('.env.example', 'utf8');
  const readme = readFileSync('README.md', 'utf8');
  for (const name of Object.keys(envSchema.shape)) {
    assert.match(envExample, new RegExp(`^#? ?${name}=`, 'm'), `.env.example lacks ${name}`);
    assert.ok(readme.includes(`\`${name}\``), `README lacks ${name}`);
  }
  assert.equal(envExample, want.envExample, '.env.example is stale: npm run env:docs');
  assert.equal(readme, want.readme, 'README variables table is stale: npm run env:docs');
});

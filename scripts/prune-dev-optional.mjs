// Removes, after `npm prune --omit=dev` (the Docker image), the packages npm still keeps: those marked
// `devOptional` in package-lock.json, i.e. dev dependencies that are also optional peers of a production one.
// Here that is @prisma/client's optional peers `prisma` (the CLI, with its engines, studio and dev server:
// about 240 MB) and `typescript`, which the engine-less client never loads at run time. npm has no option to
// omit them alone (`--omit=optional` would also drop esbuild's platform binary, which tsx needs).
import { readFileSync, rmSync } from 'node:fs';

const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8'));
const paths = Object.entries(lock.packages ?? {}).filter(([p, e]) => p && e.devOptional).map(([p]) => p);
for (const p of paths) rmSync(new URL(`../${p}`, import.meta.url), { recursive: true, force: true });
console.error(`prune-dev-optional: removed ${paths.length} packages (dev dependencies kept by npm as optional peers)`);

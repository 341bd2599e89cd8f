#!/usr/bin/env node
// `npx minibot …` launcher: registers tsx (TypeScript, extensionless imports) and runs cli/minibot.ts.
import { register } from 'tsx/esm/api';

register();
await import('./minibot.ts');

// Worker-thread entry: worker threads do not always inherit the tsx loader of the main thread
// (e.g. under `node --test`), so load the TypeScript worker through tsx's API explicitly.
import { tsImport } from 'tsx/esm/api';

await tsImport('./asr-worker.ts', import.meta.url);

// Where the processes keep their local state: everything under the project's ignored data/ and .cache/
// folders (MINIBOT_DATA_DIR moves data/).
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const CACHE_DIR = join(ROOT, '.cache');
export const DATA_DIR = process.env.MINIBOT_DATA_DIR ? resolve(process.env.MINIBOT_DATA_DIR) : join(ROOT, 'data');

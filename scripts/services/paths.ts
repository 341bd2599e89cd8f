// The dev services' paths are the processes' (runtime/paths.ts).
export { ROOT, CACHE_DIR, DATA_DIR } from '../../runtime/paths';

// Call recordings on disk: RECORDINGS_DIR/<YYYY-MM-DD>/<call workflow id>.wav (written by the Asterisk adapter
// from ARI's stored recording), deleted after RECORDINGS_RETENTION_DAYS by pruneRecordings().
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Deletes recordings older than `retentionDays` (by file time) and empty day folders; returns how many went. */
export async function pruneRecordings(dir: string, retentionDays: number, now = Date.now()): Promise<{ deleted: number; kept: number }> {
  if (retentionDays <= 0) return { deleted: 0, kept: 0 };
  const limit = now - retentionDays * 86_400_000;
  let deleted = 0;
  let kept = 0;
  let days: string[];
  try {
    days = await readdir(dir);
  } catch {
    return { deleted, kept }; // nothing recorded yet
  }
  for (const day of days) {
    const d = join(dir, day);
    if (!(await stat(d)).isDirectory()) continue;
    const files = await readdir(d);
    let left = files.length;
    for (const f of files) {
      const p = join(d, f);
      if ((await stat(p)).mtimeMs < limit) {
        await rm(p, { force: true });
        deleted++;
        left--;
      } else kept++;
    }
    if (left === 0) await rm(d, { recursive: true, force: true });
  }
  return { deleted, kept };
}

// Call recordings of the Asterisk backend: the bridge recording Asterisk stored is fetched into
// RECORDINGS_DIR/<YYYY-MM-DD>/<call workflow id>.wav, deleted from Asterisk, and its path reported (onSaved).
// Fetched once per recording, whether the call's teardown (which stops it) or RecordingFinished comes first.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AriEvent } from '../asterisk-ari';
import type { AstCall, CallMetrics } from './call';
import type { AdapterContext } from './context';

export class RecordingStore {
  /** Metrics of ended calls whose recording is being fetched (kept once it is saved or failed). */
  private readonly pending = new Map<string, CallMetrics>();
  private readonly saving = new Set<string>();
  /** Recordings fetched already (RecordingFinished may come before the call's teardown, e.g. after a transfer). */
  private readonly saved = new Set<string>();

  constructor(private readonly ctx: AdapterContext) {}

  /** After the teardown stopped the call's recording. */
  saveAfterCall(c: AstCall): void {
    if (this.saved.has(c.recordingName!)) {
      // RecordingFinished fetched it while the call was still up: the call's metrics are complete now.
      this.ctx.calls.keep(c.metrics);
      return;
    }
    this.pending.set(c.id, c.metrics);
    void this.save(c.id, c.recordingName!);
  }

  async onRecordingFinished(e: AriEvent): Promise<void> {
    const name = e.recording?.name;
    if (!name?.startsWith('minibot-') || !this.ctx.o.recording) return;
    await this.save(name.slice('minibot-'.length), name);
  }

  /** Fetches a finished recording into RECORDINGS_DIR and records its path (once per recording). */
  private async save(callId: string, name: string): Promise<void> {
    const { o, ari, calls, log } = this.ctx;
    if (!o.recording || this.saving.has(name)) return;
    this.saving.add(name);
    const metrics = calls.get(callId)?.metrics ?? this.pending.get(callId);
    const day = new Date().toISOString().slice(0, 10);
    const path = join(o.recording.dir, day, `${callId}.wav`);
    try {
      const wav = await ari.recordings.download(name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, wav);
      await ari.recordings.deleteStored(name).catch(() => undefined);
      if (metrics) metrics.recordingPath = path;
      await o.recording.onSaved?.(callId, path);
      log.info({ callId, path, bytes: wav.length }, 'recording saved');
    } catch (err) {
      log.error({ callId, err: (err as Error).message }, 'could not save the recording');
    } finally {
      this.saved.add(name);
      if (metrics && this.pending.delete(callId)) calls.keep(metrics);
      setTimeout(() => {
        this.saving.delete(name);
        this.saved.delete(name);
      }, 60_000).unref();
    }
  }
}

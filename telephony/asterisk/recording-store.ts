// Call recordings of the Asterisk backend: the bridge recording Asterisk stored is fetched into
// RECORDINGS_DIR/<YYYY-MM-DD>/<call workflow id>.wav, deleted from Asterisk, and its path reported (onSaved).
// Fetched once per recording, whether the call's teardown (which stops it) or RecordingFinished comes first.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AriEvent } from '../asterisk-ari';
import type { AstCall, CallMetrics } from './call';
import type { AdapterContext } from './context';

export class RecordingStore {
  /**
   * Metrics of ended calls whose recording is not saved yet (kept once it is saved or failed). Filled when the
   * call leaves the registry, not after the teardown's awaits: stopping the recording makes Asterisk send
   * RecordingFinished while the teardown still waits on the hang-ups (seen after every transfer), and that
   * fetch must find the metrics to fill in and keep.
   */
  private readonly pending = new Map<string, CallMetrics>();
  private readonly saving = new Set<string>();
  /** Recordings fetched already (RecordingFinished may come before the call's teardown ends). */
  private readonly saved = new Set<string>();

  constructor(private readonly ctx: AdapterContext) {}

  /** The teardown took the call out of the registry: its metrics wait here for the recording. */
  callEnded(c: AstCall): void {
    if (c.recordingName) this.pending.set(c.id, c.metrics);
  }

  /** After the teardown stopped the call's recording. */
  saveAfterCall(c: AstCall): void {
    if (this.saved.has(c.recordingName!)) {
      // RecordingFinished fetched it already: the call's metrics are complete now (kept once).
      this.keepPending(c.id);
      return;
    }
    void this.save(c.id, c.recordingName!);
  }

  async onRecordingFinished(e: AriEvent): Promise<void> {
    const name = e.recording?.name;
    if (!name?.startsWith('minibot-') || !this.ctx.o.recording) return;
    await this.save(name.slice('minibot-'.length), name);
  }

  private keepPending(callId: string): void {
    const m = this.pending.get(callId);
    if (m && this.pending.delete(callId)) this.ctx.calls.keep(m);
  }

  /** Fetches a finished recording into RECORDINGS_DIR and records its path (once per recording). */
  private async save(callId: string, name: string): Promise<void> {
    const { o, ari, calls, log } = this.ctx;
    if (!o.recording) return this.keepPending(callId); // nowhere to save it: the metrics are complete
    if (this.saving.has(name)) return; // the fetch under way keeps the metrics
    this.saving.add(name);
    // The live call's record, or the ended call's (callEnded runs in the same tick as the call leaving).
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
      // Ended meanwhile: kept now. Still up: its teardown keeps it (saveAfterCall finds it saved).
      this.keepPending(callId);
      setTimeout(() => {
        this.saving.delete(name);
        this.saved.delete(name);
      }, 60_000).unref();
    }
  }
}

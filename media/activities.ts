// Activities that must run where the call's media socket lives. The media worker registers them on its own
// task queue (mediaTaskQueue()), which the call workflow learns when media starts, so play/stop/hangup reach
// the process holding that call's websocket.
import os from 'node:os';
import { config } from '../lib/config';
import type { MediaServer } from './server';

/** This media worker instance's task queue: MEDIA_TASK_QUEUE, or `<TEMPORAL_TASK_QUEUE>-media-<host>-<pid>`. */
export function mediaTaskQueue(): string {
  const c = config();
  return c.MEDIA_TASK_QUEUE ?? `${c.TEMPORAL_TASK_QUEUE}-media-${os.hostname()}-${process.pid}`;
}

export function createMediaActivities(media: MediaServer) {
  return {
    async mediaExpectCall(input: { callId: string; bargeIn?: Record<string, number | boolean> }) {
      return { ...media.expectCall(input.callId, { bargeIn: input.bargeIn }), taskQueue: mediaTaskQueue() };
    },
    async mediaPlayPrompt(input: { callId: string; promptId: string; turn: number; wavPath: string; bargeIn?: boolean }) {
      media.setTurn(input.callId, input.turn);
      await media.play(input.callId, input);
    },
    async mediaStopPlayback(input: { callId: string }) {
      return media.stopPlayback(input.callId);
    },
    async mediaSetTurn(input: { callId: string; turn: number }) {
      media.setTurn(input.callId, input.turn);
    },
    async mediaHangup(input: { callId: string }) {
      await media.hangup(input.callId);
    },
  };
}

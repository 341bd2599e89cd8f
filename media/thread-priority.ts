// Scheduling priority of the calling thread (Linux: each thread has its own nice value, set through its
// thread id). The ASR worker threads lower theirs so that, when the cores are busy, the main thread — which
// paces every call's 20 ms frames and sends FLUSH_MEDIA on barge-in — always gets the CPU first: a decode
// that waits a few milliseconds more costs nothing audible, a frame or a flush that waits is heard at once.
// Node exposes setpriority (os.setPriority) but not the thread id, hence gettid through koffi (already loaded
// for libvosk).
import os from 'node:os';
import koffi from 'koffi';

/** Sets the calling thread's nice value (0 = normal, 19 = lowest). Answers false where it cannot (not Linux). */
export function niceThisThread(nice: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const gettid = koffi.load('libc.so.6').func('int gettid()') as () => number;
    os.setPriority(gettid(), nice);
    return true;
  } catch {
    return false; // an old libc without gettid, a sandbox refusing setpriority: run at normal priority
  }
}

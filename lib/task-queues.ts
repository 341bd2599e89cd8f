// Task-queue names shared by the processes that start workflows (API, CLI) and those that serve them
// (workers): a pure naming rule, here so that the API does not load the worker code to compute a name.

/** The shared queue where new calls are originated (any telephony instance may take one). */
export function telephonyQueue(taskQueue: string): string {
  return `${taskQueue}-telephony`;
}

// Task-queue names shared by the processes that start workflows (API, CLI) and those that serve them
// (workers): a pure naming rule, here so that the API does not load the worker code to compute a name.

/** The shared queue where new calls are originated (any telephony instance may take one). */
export function telephonyQueue(taskQueue: string): string {
  return `${taskQueue}-telephony`;
}

/**
 * The queue of one telephony server (one Asterisk) that several workers share: every worker connected to it
 * serves it, so that a call lost with its worker's process is released by another worker of the same server.
 */
export function telephonySiteQueue(taskQueue: string, site: string): string {
  return `${telephonyQueue(taskQueue)}-site-${site}`;
}

// The production CallEventSink: every call event becomes a signal to the call workflow (workflow id = callId).
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { CallEventSink } from '../lib/call-events';
import {
  amdResultSignal, answeredSignal, dtmfSignal, hungUpSignal, playbackFinishedSignal, speechStartedSignal, utteranceSignal,
} from '../workflows/definitions';
import { logger } from '../runtime/logger';

export function temporalSignalSink(client: Client): CallEventSink {
  const log = logger('call-events');
  async function send(callId: string, def: Parameters<ReturnType<Client['workflow']['getHandle']>['signal']>[0], payload: unknown): Promise<void> {
    try {
      await client.workflow.getHandle(callId).signal(def as never, payload as never);
    } catch (err) {
      // The call workflow may already have ended (e.g. a late hangup event after we hung up ourselves).
      if (err instanceof WorkflowNotFoundError) {
        log.debug({ callId, signal: typeof def === 'string' ? def : def.name }, 'signal to a closed call ignored');
        return;
      }
      throw err;
    }
  }
  return {
    answered: (id, e) => send(id, answeredSignal, e),
    amdResult: (id, e) => send(id, amdResultSignal, e),
    speechStarted: (id, e) => send(id, speechStartedSignal, e),
    utterance: (id, e) => send(id, utteranceSignal, e),
    playbackFinished: (id, e) => send(id, playbackFinishedSignal, e),
    hungUp: (id, e) => send(id, hungUpSignal, e),
    dtmf: (id, e) => send(id, dtmfSignal, e),
  };
}

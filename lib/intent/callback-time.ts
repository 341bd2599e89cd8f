import type { CallbackTime } from './types';
export function extractCallbackTime(_text: string, _now: Date = new Date(), _timeZone = 'Europe/Paris'): CallbackTime | undefined {
  return undefined;
}

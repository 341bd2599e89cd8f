// The dial plan and the hangup causes of the Asterisk backend: which Asterisk endpoint a contact's number is
// dialed on, and what an unanswered call's Q.850 cause / Dial status means in our vocabulary. Pure functions.
import type { HangupCause } from '../../lib/call-events';

/** What Asterisk accepts as a channel id (ours is the call workflow id). */
export const CHANNEL_ID = /^[A-Za-z0-9._:-]{1,120}$/;

/** Maps an Asterisk hangup cause (Q.850) + the Dial status of an unanswered call to our vocabulary. */
export function ringCause(cause: number | null, dialStatus: string): HangupCause {
  switch (dialStatus) {
    case 'BUSY':
      return 'busy';
    case 'NOANSWER':
      return 'no_answer';
    case 'CONGESTION':
      return 'congestion';
    case 'CHANUNAVAIL':
      return 'failed';
  }
  switch (cause) {
    case 17:
      return 'busy';
    case 18:
    case 19:
      return 'no_answer';
    case 21:
      return 'rejected';
    case 34:
    case 38:
    case 41:
    case 42:
      return 'congestion';
    default:
      return 'failed';
  }
}

/** Builds the dial function from a template (`{number}` = digits without '+', `{e164}`, `{national}`) and exact-number overrides. */
export function dialPlan(template: string, overrides: Record<string, string> = {}): (phone: string) => string {
  if (!/\{(number|e164|national)\}/.test(template)) throw new Error(`ASTERISK_DIAL_TEMPLATE: must contain {number}, {e164} or {national} (got "${template}")`);
  return (phone: string) => {
    const o = overrides[phone];
    if (o) return o;
    if (!/^\+?\d{4,20}$/.test(phone)) throw new Error(`phone: "${phone}" is not a dialable number`);
    const digits = phone.replace(/^\+/, '');
    const national = phone.startsWith('+33') ? '0' + phone.slice(3) : digits;
    return template.replace(/\{number\}/g, digits).replace(/\{e164\}/g, phone.startsWith('+') ? phone : '+' + digits).replace(/\{national\}/g, national);
  };
}

/** The agent leg's endpoint from AGENT_DIAL_TEMPLATE (`{agent}` = the campaign's agent: an extension, a queue). */
export function agentDialPlan(template: string): (agent: string) => string {
  if (!template.includes('{agent}')) throw new Error(`AGENT_DIAL_TEMPLATE: must contain {agent} (got "${template}")`);
  return (agent: string) => {
    if (!/^[A-Za-z0-9_.+-]{1,80}$/.test(agent)) throw new Error(`agent: "${agent}" is not a dialable agent name`);
    return template.replace(/\{agent\}/g, agent);
  };
}

/** The dial endpoint for the logs: the subscriber part of the number masked. */
export function maskEndpoint(endpoint: string): string {
  return endpoint.replace(/\d{4}(?=\d{2}\b|@|$)/, '****');
}

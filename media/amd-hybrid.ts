// The hybrid AMD verdict: Asterisk's AMD() (AMDSTATUS/AMDCAUSE from the dialplan) combined with the media
// worker's own evidence from the stream (media/amd.ts).
import type { StreamVerdict } from './amd';

/** Asterisk's AMD() result as passed in StasisStart args: AMDSTATUS, AMDCAUSE (SKIPPED when not run). */
export interface AsteriskAmd {
  status: 'HUMAN' | 'MACHINE' | 'NOTSURE' | 'HANGUP' | 'SKIPPED' | string;
  cause: string;
}

export interface HybridVerdict {
  verdict: 'human' | 'machine' | 'unknown';
  /** For the call record: which source decided, and the causes of both. */
  cause: string;
  source: 'asterisk' | 'stream' | 'both';
}

/**
 * Combines Asterisk's AMD() with the stream's verdict.
 *  - Asterisk MACHINE: machine (a stream beep confirms it). Asterisk HUMAN: human, unless the stream heard a
 *    beep (a short "leave a message" greeting Asterisk took for a person).
 *  - Asterisk NOTSURE (or AMD skipped): the stream decides; stream NOTSURE stays 'unknown' (treated as a person).
 * Returns null while the stream evidence needed is still missing.
 */
export function combineAmd(asterisk: AsteriskAmd | null, stream: StreamVerdict | null): HybridVerdict | null {
  const a = asterisk?.status ?? 'SKIPPED';
  const aCause = asterisk ? `asterisk:${a}${asterisk.cause ? '-' + asterisk.cause : ''}` : '';
  const sCause = stream ? `stream:${stream.status}-${stream.cause}@${stream.afterMs}ms` : '';
  const join = (...xs: string[]) => xs.filter(Boolean).join(' ');
  if (a === 'MACHINE') return { verdict: 'machine', cause: join(aCause, sCause), source: stream?.status === 'MACHINE' ? 'both' : 'asterisk' };
  if (a === 'HUMAN') {
    if (stream?.status === 'MACHINE' && stream.cause.startsWith('BEEP')) return { verdict: 'machine', cause: join(aCause, sCause), source: 'stream' };
    return { verdict: 'human', cause: join(aCause, sCause), source: 'asterisk' };
  }
  if (!stream) return null;
  const verdict = stream.status === 'HUMAN' ? 'human' : stream.status === 'MACHINE' ? 'machine' : 'unknown';
  return { verdict, cause: join(aCause, sCause), source: 'stream' };
}

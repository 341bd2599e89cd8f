// The errors of ARI calls, typed by HTTP status (the ARI adapter, telephony/asterisk-ari.ts, raises them; the
// rest of telephony/ tests them with instanceof, never by message text).

/** An ARI call that Asterisk refused; `status` is the HTTP status (null: no answer at all). */
export class AriError extends Error {
  constructor(readonly operation: string, readonly status: number | null, readonly detail: string) {
    super(`ARI ${operation}: ${status === null ? '' : `${status} `}${detail}`);
    this.name = 'AriError';
  }
}
/** 404: the channel, bridge or recording does not exist (any more). */
export class AriNotFound extends AriError {
  override name = 'AriNotFound';
}
/** 409: a conflict, e.g. a channel id already in use or a channel not in Stasis. */
export class AriConflict extends AriError {
  override name = 'AriConflict';
}
/** Asterisk did not answer (down, restarting, or the call's deadline passed). */
export class AriUnavailable extends AriError {
  override name = 'AriUnavailable';
}

export function ariError(operation: string, status: number | null, detail: string): AriError {
  if (status === 404) return new AriNotFound(operation, status, detail);
  if (status === 409) return new AriConflict(operation, status, detail);
  if (status === null) return new AriUnavailable(operation, null, detail);
  return new AriError(operation, status, detail);
}

/** ARI error bodies are JSON: {"message":"Channel not found"}. */
export function bodyMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { message?: string; error?: string };
    return j.message ?? j.error ?? body;
  } catch {
    return body;
  }
}


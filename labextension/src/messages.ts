/**
 * The project's output type and the comm messages between page and kernel.
 *
 * Mirrors `jupyter_sessions/core/output.py` and `jupyter_sessions/core/messages.py`; the
 * names are versioned so either side can change without confusing the other.
 */

/** Mime type of every session's output. */
export const MIME_TYPE = 'application/vnd.jupyter-sessions.session.v1+json';

/** Set on `window` by the extension: the session widget leaves closing to it. */
export const EXTENSION_MARK = '__jupyter_sessions_extension__';

/** Comm target for page-to-kernel messages (registered on import in the kernel). */
export const COMM_TARGET = 'jupyter_sessions.v1';

/** Comm target for the kernel's list of sessions, kernel to page. */
export const FEED_TARGET = 'jupyter_sessions.sessions.v1';
/** Kernel to page: connect now, a session no output shows is open (capture). */
export const CALL_TARGET = 'jupyter_sessions.call.v1';

/** The data of a session output (`output.bundle` in the kernel). */
export interface ISessionOutput {
  version: 1;
  session_id: string;
  kind: string;
  state: string;
  /** The session's one-line label; absent from a closed session's note. */
  label?: string;
  view: Record<string, unknown> | null;
  /** A failed or crashed session's error, in its note. */
  error?: string | null;
}

/** One open session, as the kernel's `sessions()` lists it. */
export interface ISessionInfo {
  id: string;
  kind: string;
  type: string;
  cell: string | null;
  state: string;
  age: number;
  error: string | null;
  [extra: string]: unknown;
}

/** Page to kernel. */
export type IPageMessage =
  | { type: 'hello'; origin: string; base_url: string; page: string; replaces: string }
  | { type: 'alive' }
  | { type: 'view_shown' | 'view_disposed'; session_id: string }
  | { type: 'cells_cleared' | 'cells_deleted'; cells: string[] }
  | { type: 'close'; session_id: string };

/** Kernel to page, first on the feed: say `alive` every this many seconds. */
export interface IHeartbeatMessage {
  type: 'heartbeat';
  seconds: number;
}

/** Kernel to page. */
export interface ISessionsMessage {
  type: 'sessions';
  sessions: ISessionInfo[];
}

/** The session id in an output's data, if it is one of ours. */
export function sessionIdOf(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) {
    return null;
  }
  const output = (data as Record<string, unknown>)[MIME_TYPE];
  if (typeof output !== 'object' || output === null) {
    return null;
  }
  const id = (output as Record<string, unknown>).session_id;
  return typeof id === 'string' ? id : null;
}

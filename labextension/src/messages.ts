/**
 * The project's output type and every message between page and kernel.
 *
 * Mirrors `jupyter_sessions/core/output.py` and `jupyter_sessions/core/messages.py`; the
 * names are versioned so either side can change without confusing the other. Two
 * routes carry the messages, with one vocabulary: the extension's channel
 * (`channel.ts`: comms to `COMM_TARGET` and `FEED_TARGET`) and, where the extension is
 * not there, the session widget's own comm (`widget.ts`, `widgetPipes.ts`), which
 * also carries pipes. What arrives from the kernel is checked (`isSessionsMessage`,
 * `isPipeReply`): a malformed message is logged and ignored.
 *
 * Whether a view went for good is decided in the page (`departures.ts`, and
 * `widget.ts` for the session widget): only the page sees a moved or re-rendered
 * output come back. `view_disposed` says it went; the kernel closes at once.
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
  /** The cell that owns the session (a clear of it closes the session); absent before 0.1. */
  cell?: string | null;
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

/** Page to kernel, on the channel. */
export type IChannelMessage =
  | {
      type: 'hello';
      origin: string;
      base_url: string;
      page: string;
      replaces: string;
      /** The page's time-to-live setting; the kernel's own, if any, wins. */
      time_to_live_minutes: number | null;
    }
  | { type: 'alive' }
  | { type: 'view_shown' | 'view_disposed'; session_id: string }
  | { type: 'cells_cleared' | 'cells_deleted'; cells: string[] }
  | { type: 'close'; session_id: string };

/** Page to kernel, on the session widget's comm (`picture`: a base64 PNG). */
export type IWidgetMessage =
  | { type: 'view_shown' | 'view_disposed'; session_id: string }
  | { type: 'close'; session_id: string; picture: string | null }
  | { type: 'picture'; session_id: string; picture: string }
  | { type: 'pipe_open'; pipe: string; target: string; data: Record<string, unknown> }
  | IPipeMessage
  | { type: 'pipe_close'; pipe: string };

/** A pipe's message, either way (its buffers travel as the comm's buffers). */
export interface IPipeMessage {
  type: 'pipe_msg';
  pipe: string;
  data: Record<string, unknown>;
}

/** Kernel to page, on the session widget's comm: a pipe's message, or its close. */
export type IPipeReply =
  IPipeMessage | { type: 'pipe_closed'; pipe: string; data: Record<string, unknown> };

/** Kernel to page, first on the feed: say `alive` every this many seconds. */
export interface IHeartbeatMessage {
  type: 'heartbeat';
  seconds: number;
}

/** Is `data` the kernel's heartbeat, a period of more than nothing? */
export function isHeartbeat(data: unknown): data is IHeartbeatMessage {
  const message = data as Partial<IHeartbeatMessage> | null;
  return (
    message?.type === 'heartbeat' && typeof message.seconds === 'number' && message.seconds > 0
  );
}

/** Kernel to page, on the feed. */
export interface ISessionsMessage {
  type: 'sessions';
  sessions: ISessionInfo[];
}

/** Is `data` the kernel's list of sessions? A row without an id or a state is not. */
export function isSessionsMessage(data: unknown): data is ISessionsMessage {
  const message = data as Partial<ISessionsMessage> | null;
  return (
    message?.type === 'sessions' &&
    Array.isArray(message.sessions) &&
    message.sessions.every(row => typeof row?.id === 'string' && typeof row.state === 'string')
  );
}

/** Is `data` a pipe's message or close, from the kernel? */
export function isPipeReply(data: unknown): data is IPipeReply {
  const message = data as Partial<IPipeReply> | null;
  return (
    (message?.type === 'pipe_msg' || message?.type === 'pipe_closed') &&
    typeof message.pipe === 'string' &&
    typeof message.data === 'object' &&
    message.data !== null &&
    !Array.isArray(message.data)
  );
}

/** Say that a message from the kernel was refused (and so ignored). */
export function refused(what: string, data: unknown): void {
  console.warn(`[jupyter-sessions] ignored a malformed ${what} from the kernel`, data);
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

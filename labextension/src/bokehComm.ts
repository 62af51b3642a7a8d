/**
 * A Bokeh view over the kernel's own channel: for pages that cannot reach the
 * kernel's embedded server (a remote kernel behind a Kernel Gateway, a hub whose
 * proxy cannot see the kernel's 127.0.0.1, a VS Code webview). The kernel side is
 * `jupyter_sessions/bokeh/comm_link.py`; its docstring has the wire format. The
 * conversation is a pipe (`pipe.ts`): a kernel comm, or one tunnelled through
 * the session's widget.
 *
 * BokehJS's `ClientConnection` hard-codes `WebSocket` in `connect()`. Here a
 * subclass connects a `PipeSocket` instead, an object shaped like the part of a
 * WebSocket that BokehJS uses (`send`, `close`, `readyState`, the four `on*`
 * handlers), so the session, its document and its patches are BokehJS's own.
 *
 * BokehJS internals relied on, pinned by the browser tests against the installed
 * Bokeh: `Bokeh.require('client/connection').ClientConnection`, its constructor
 * `(url, token, args)`, `socket`, `connect()`, and the handlers `_on_open`,
 * `_on_message`, `_on_close`, `_on_error` that `connect()` wires to a socket;
 * `Message.send(socket)` calling `socket.send` once per fragment, synchronously.
 */
import { onPageGone } from './pageGone';
import { IPipe, PipeOpener } from './pipe';

export const VIEW_TARGET = 'jupyter_sessions.bokeh.view.v1';
export const BOKEHJS_TARGET = 'jupyter_sessions.bokehjs.v1';
const BOKEHJS_TIMEOUT_MS = 60000;

/** A text fragment, or a binary one in base64 (see comm_link.py for why not buffers). */
type Fragment = string | { b64: string };

type Resolve<T> = (value: T) => void;
type Reject = (error: Error | string) => void;

/** What this module uses of BokehJS's `ClientConnection` (see the header). */
interface IClientConnection<S> {
  socket: unknown;
  connect(): Promise<S>;
  _on_open(resolve: Resolve<S>, reject: Reject): void;
  _on_message(event: { data: string | ArrayBuffer }): void;
  _on_close(event: { code: number; reason: string }, reject: Reject): void;
  _on_error(reject: Reject): void;
}
type ClientConnectionClass<S> = new (
  url: string,
  token: string,
  args: string | null
) => IClientConnection<S>;

/**
 * Open a view's BokehJS session over a comm: what `pull_session` does over a
 * websocket. `ClientConnection` is BokehJS's own class.
 */
export function pullSessionOverPipe<S>(
  ClientConnection: ClientConnectionClass<S>,
  pipes: PipeOpener,
  token: string
): Promise<S> {
  class PipeConnection extends ClientConnection {
    connect(): Promise<S> {
      const socket = new PipeSocket(pipes);
      this.socket = socket;
      return new Promise<S>((resolve, reject) => {
        socket.onopen = () => this._on_open(resolve, reject);
        socket.onmessage = event => this._on_message(event);
        socket.onclose = event => this._on_close(event, reject);
        socket.onerror = () => this._on_error(reject);
        socket.open(token);
      });
    }
  }
  return new PipeConnection(`comm:${VIEW_TARGET}`, token, null).connect();
}

/** The part of a WebSocket that BokehJS's connection uses, carried by a pipe. */
class PipeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 3;

  constructor(private readonly pipes: PipeOpener) {}

  readyState = PipeSocket.CONNECTING;
  binaryType = 'arraybuffer';
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string | ArrayBuffer }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;

  /** Open the pipe with the view's signed token. */
  open(token: string): void {
    const pipe = this.pipes(VIEW_TARGET, { token });
    pipe.onMsg = data => this.receive(data.fragments as Fragment[]);
    pipe.onClose = data => this.closed(data.error as string | undefined);
    this.pipe = pipe;
    this.readyState = PipeSocket.OPEN;
    closeOnPageGone(this);
    // As a websocket would: after `connect()` has set its handlers.
    queueMicrotask(() => this.onopen?.());
  }

  /** One fragment of a Bokeh message; one message's fragments leave as one pipe message. */
  send(fragment: string | ArrayBuffer): void {
    if (this.readyState !== PipeSocket.OPEN) {
      return;
    }
    this.outgoing.push(typeof fragment === 'string' ? fragment : { b64: toBase64(fragment) });
    if (this.outgoing.length === 1) {
      // `Message.send` sends every fragment of a message in one synchronous run.
      queueMicrotask(() => this.flush());
    }
  }

  /** Close the pipe; BokehJS hears it as a websocket's close, with its code and reason. */
  close(code = 1000, reason = 'closed by the page'): void {
    if (this.readyState === PipeSocket.CLOSED) {
      return;
    }
    this.readyState = PipeSocket.CLOSED;
    open.delete(this);
    this.pipe?.close();
    if (code !== 1000) {
      console.warn(`[jupyter-sessions] closing a view: ${code} ${reason}`);
    }
    queueMicrotask(() => this.onclose?.({ code, reason }));
  }

  private flush(): void {
    const fragments = this.outgoing;
    this.outgoing = [];
    if (this.readyState === PipeSocket.OPEN) {
      this.pipe?.send({ fragments });
    }
  }

  private receive(fragments: Fragment[] | undefined): void {
    for (const fragment of fragments ?? []) {
      const data = typeof fragment === 'string' ? fragment : fromBase64(fragment.b64);
      this.onmessage?.({ data });
    }
  }

  /** The kernel closed the view (its session closed), or refused it (a bad token). */
  private closed(error: string | undefined): void {
    if (this.readyState === PipeSocket.CLOSED) {
      return;
    }
    this.readyState = PipeSocket.CLOSED;
    open.delete(this);
    if (error) {
      console.warn('[jupyter-sessions] the kernel refused a view:', error);
    }
    this.onclose?.({ code: error ? 1008 : 1000, reason: error ?? 'closed by the kernel' });
  }

  private pipe: IPipe | null = null;
  private outgoing: Fragment[] = [];
}

function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

function fromBase64(data: string): ArrayBuffer {
  const text = atob(data);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    bytes[i] = text.charCodeAt(i);
  }
  return bytes.buffer;
}

/** The view pipes open now: a page that goes closes them (nothing else would). */
const open = new Set<PipeSocket>();
let watchingPage = false;

function closeOnPageGone(socket: PipeSocket): void {
  open.add(socket);
  // On first use, not on import: the widget's module may be imported many times.
  if (!watchingPage) {
    watchingPage = true;
    onPageGone(() => Array.from(open).forEach(s => s.close()));
  }
}

/**
 * BokehJS's files from the kernel, for a page that cannot load them from a
 * server: those not in `have` (names of files the page ran), as [name, code].
 */
export function bokehScriptsOverPipe(
  pipes: PipeOpener,
  have: string[]
): Promise<[string, string][]> {
  return new Promise<[string, string][]>((resolve, reject) => {
    const pipe = pipes(BOKEHJS_TARGET, { have });
    const timer = window.setTimeout(() => {
      pipe.close();
      reject(new Error(`BokehJS did not arrive from the kernel in ${BOKEHJS_TIMEOUT_MS} ms`));
    }, BOKEHJS_TIMEOUT_MS);
    pipe.onMsg = data => {
      window.clearTimeout(timer);
      const { names, scripts } = data;
      if (isStrings(names) && isStrings(scripts) && names.length === scripts.length) {
        resolve(scripts.map((code, i) => [names[i], code]));
      } else {
        reject(new Error('the kernel sent no BokehJS'));
      }
    };
    pipe.onClose = data => {
      window.clearTimeout(timer);
      reject(new Error(String(data.error ?? 'the kernel closed the pipe before sending BokehJS')));
    };
  });
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(s => typeof s === 'string');
}

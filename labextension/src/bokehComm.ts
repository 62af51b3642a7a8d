/**
 * A Bokeh view over the kernel's own channel: for pages that cannot reach the
 * kernel's embedded server (a remote kernel behind a Kernel Gateway, a hub whose
 * proxy cannot see the kernel's 127.0.0.1). The kernel side is
 * `jupyter_sessions/bokeh/comm_link.py`; its docstring has the wire format.
 *
 * BokehJS's `ClientConnection` hard-codes `WebSocket` in `connect()`. Here a
 * subclass connects a `CommSocket` instead, an object shaped like the part of a
 * WebSocket that BokehJS uses (`send`, `close`, `readyState`, the four `on*`
 * handlers), so the session, its document and its patches are BokehJS's own.
 *
 * BokehJS internals relied on, pinned by the browser tests against the installed
 * Bokeh: `Bokeh.require('client/connection').ClientConnection`, its constructor
 * `(url, token, args)`, `socket`, `connect()`, and the handlers `_on_open`,
 * `_on_message`, `_on_close`, `_on_error` that `connect()` wires to a socket;
 * `Message.send(socket)` calling `socket.send` once per fragment, synchronously.
 */
import { KernelMessage, Kernel } from '@jupyterlab/services';
import { JSONObject } from '@lumino/coreutils';

import { sendOnMainShell } from './channel';

export const VIEW_TARGET = 'jupyter_sessions.bokeh.view.v1';
export const BOKEHJS_TARGET = 'jupyter_sessions.bokehjs.v1';
const BOKEHJS_TIMEOUT_MS = 60000;

/** A text fragment, or the index of a binary one in the comm message's buffers. */
type Fragment = string | { buffer: number };

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
export function pullSessionOverComm<S>(
  ClientConnection: ClientConnectionClass<S>,
  kernel: Kernel.IKernelConnection,
  token: string
): Promise<S> {
  class CommConnection extends ClientConnection {
    connect(): Promise<S> {
      const socket = new CommSocket(kernel);
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
  return new CommConnection(`comm:${VIEW_TARGET}`, token, null).connect();
}

/** The part of a WebSocket that BokehJS's connection uses, carried by a comm. */
export class CommSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 3;

  constructor(private readonly kernel: Kernel.IKernelConnection) {
    this.comm = kernel.createComm(VIEW_TARGET);
    this.comm.onMsg = msg => this.receive(msg);
    this.comm.onClose = msg => this.closed(msg);
    open.add(this);
  }

  readyState = CommSocket.CONNECTING;
  binaryType = 'arraybuffer';
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string | ArrayBuffer }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;

  /** Open the comm with the view's signed token. */
  open(token: string): void {
    this.comm.open({ token }).done.catch(() => this.onerror?.());
    this.readyState = CommSocket.OPEN;
    // As a websocket would: after `connect()` has set its handlers.
    queueMicrotask(() => this.onopen?.());
  }

  /** One fragment of a Bokeh message; one message's fragments leave as one comm message. */
  send(fragment: string | ArrayBuffer): void {
    if (this.readyState !== CommSocket.OPEN) {
      return;
    }
    if (typeof fragment === 'string') {
      this.outgoing.push(fragment);
    } else {
      this.outgoing.push({ buffer: this.outgoingBuffers.length });
      this.outgoingBuffers.push(fragment);
    }
    if (this.outgoing.length === 1) {
      // `Message.send` sends every fragment of a message in one synchronous run.
      queueMicrotask(() => this.flush());
    }
  }

  /** Close the comm; on the main shell (see `sendOnMainShell`), so the kernel hears it. */
  close(): void {
    if (this.readyState === CommSocket.CLOSED) {
      return;
    }
    this.readyState = CommSocket.CLOSED;
    open.delete(this);
    if (!this.comm.isDisposed && !this.kernel.isDisposed) {
      try {
        sendOnMainShell(this.kernel, 'comm_close', this.comm.commId, {});
      } catch (reason) {
        console.warn('[jupyter-sessions] could not close a view comm', reason);
      }
      this.comm.dispose();
    }
    queueMicrotask(() => this.onclose?.({ code: 1000, reason: 'closed by the page' }));
  }

  private flush(): void {
    const fragments = this.outgoing;
    const buffers = this.outgoingBuffers;
    this.outgoing = [];
    this.outgoingBuffers = [];
    if (this.readyState === CommSocket.OPEN && !this.comm.isDisposed) {
      this.comm.send({ fragments } as unknown as JSONObject, undefined, buffers);
    }
  }

  private receive(msg: KernelMessage.ICommMsgMsg): void {
    const fragments = (msg.content.data as { fragments?: Fragment[] }).fragments ?? [];
    const buffers = msg.buffers ?? [];
    for (const fragment of fragments) {
      const data = typeof fragment === 'string' ? fragment : arrayBuffer(buffers[fragment.buffer]);
      this.onmessage?.({ data });
    }
  }

  /** The kernel closed the view (its session closed), or refused it (a bad token). */
  private closed(msg: KernelMessage.ICommCloseMsg): void {
    if (this.readyState === CommSocket.CLOSED) {
      return;
    }
    this.readyState = CommSocket.CLOSED;
    open.delete(this);
    const error = (msg.content.data as { error?: string }).error;
    if (error) {
      console.warn('[jupyter-sessions] the kernel refused a view:', error);
    }
    this.onclose?.({ code: error ? 1008 : 1000, reason: error ?? 'closed by the kernel' });
  }

  private readonly comm: Kernel.IComm;
  private outgoing: Fragment[] = [];
  private outgoingBuffers: ArrayBuffer[] = [];
}

/** The view comms open now: a page that goes closes them (nothing else would). */
const open = new Set<CommSocket>();
window.addEventListener('pagehide', () => {
  for (const socket of Array.from(open)) {
    socket.close();
  }
});

/** BokehJS's code from the kernel, for a page that cannot load it from a server. */
export function bokehScriptsOverComm(kernel: Kernel.IKernelConnection): Promise<string[]> {
  const comm = kernel.createComm(BOKEHJS_TARGET);
  return new Promise<string[]>((resolve, reject) => {
    const timer = window.setTimeout(
      () => reject(new Error(`BokehJS did not arrive from the kernel in ${BOKEHJS_TIMEOUT_MS} ms`)),
      BOKEHJS_TIMEOUT_MS
    );
    comm.onMsg = msg => {
      window.clearTimeout(timer);
      const scripts = (msg.content.data as { scripts?: unknown }).scripts;
      if (Array.isArray(scripts) && scripts.every(s => typeof s === 'string')) {
        resolve(scripts as string[]);
      } else {
        reject(new Error('the kernel sent no BokehJS'));
      }
    };
    comm.onClose = () => {
      window.clearTimeout(timer);
      reject(new Error('the kernel closed the BokehJS comm before sending it'));
    };
    comm.open({}).done.catch(reason => {
      window.clearTimeout(timer);
      reject(reason instanceof Error ? reason : new Error(String(reason)));
    });
  });
}

function arrayBuffer(buffer: ArrayBuffer | ArrayBufferView | undefined): ArrayBuffer {
  if (buffer === undefined) {
    throw new Error('a view message named a buffer it did not carry');
  }
  if (buffer instanceof ArrayBuffer) {
    return buffer;
  }
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  return bytes.slice().buffer;
}

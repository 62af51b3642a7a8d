/**
 * The page's end of the comms to one notebook's kernel, one per direction.
 *
 * `commands` carries what the page tells the kernel; the kernel never sends on
 * it, so ipykernel 7 keeps handling it on the comm's subshell, even while a cell
 * computes. `feed` carries the kernel's list of sessions (see channel.py).
 *
 * Opened lazily, the first time a session output renders: a kernel that never
 * imported `jupyter_sessions` has no such comm targets and is left alone. A kernel
 * restart or change drops the comms (and the sessions listed); the next render
 * opens new ones. Messages are fire-and-forget and idempotent kernel-side.
 */
import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { JSONObject } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  COMM_TARGET,
  FEED_TARGET,
  IPageMessage,
  ISessionInfo,
  ISessionsMessage
} from './messages';

export class SessionChannel implements IDisposable {
  constructor(private readonly context: ISessionContext) {
    context.kernelChanged.connect(this.drop, this);
    context.statusChanged.connect(this.onStatus, this);
  }

  /** The kernel's open sessions, as last reported. */
  get sessions(): readonly ISessionInfo[] {
    return this._sessions;
  }

  /** Emitted whenever the kernel reports its sessions, or the kernel goes. */
  get sessionsChanged(): ISignal<this, readonly ISessionInfo[]> {
    return this._sessionsChanged;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Open the comms, if the kernel is there and they are not open yet. */
  connect(): void {
    const kernel = this.context.session?.kernel;
    if (this._commands || this._disposed || !kernel) {
      return;
    }
    const hello: IPageMessage = {
      type: 'hello',
      origin: window.location.origin,
      base_url: this.context.session?.serverSettings.baseUrl ?? '/'
    };
    this._commands = this.open(kernel, COMM_TARGET, hello as unknown as JSONObject);
    this._feed = this.open(kernel, FEED_TARGET, {});
    this._feed.onMsg = msg => this.onFeed(msg);
  }

  /** Tell the kernel something, if it ever showed us a session. */
  send(message: IPageMessage): void {
    const comm = this._commands;
    if (!comm || comm.isDisposed) {
      return;
    }
    try {
      comm.send(message as unknown as JSONObject);
    } catch (reason) {
      console.warn('[jupyter-sessions] could not tell the kernel', message, reason);
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    for (const comm of [this._commands, this._feed]) {
      if (comm && !comm.isDisposed) {
        comm.close();
      }
    }
    this._commands = this._feed = null;
    Signal.clearData(this);
  }

  private open(kernel: Kernel.IKernelConnection, target: string, data: JSONObject): Kernel.IComm {
    const comm = kernel.createComm(target);
    comm.onClose = () => {
      if (this._commands === comm || this._feed === comm) {
        this._commands = this._feed = null;
      }
    };
    comm.open(data).done.catch(reason => {
      console.warn('[jupyter-sessions] could not open comm', target, reason);
    });
    return comm;
  }

  private onFeed(msg: KernelMessage.ICommMsgMsg): void {
    const data = msg.content.data as unknown as ISessionsMessage;
    if (data?.type !== 'sessions' || !Array.isArray(data.sessions)) {
      return;
    }
    this._sessions = data.sessions;
    this._sessionsChanged.emit(this._sessions);
  }

  private onStatus(_: ISessionContext, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'dead' || status === 'autorestarting') {
      this.drop();
    }
  }

  /** The kernel went (restart, change): its comm and sessions went with it. */
  private drop(): void {
    this._commands = this._feed = null;
    this._sessions = [];
    this._sessionsChanged.emit(this._sessions);
  }

  private _commands: Kernel.IComm | null = null;
  private _feed: Kernel.IComm | null = null;
  private _disposed = false;
  private _sessions: readonly ISessionInfo[] = [];
  private _sessionsChanged = new Signal<this, readonly ISessionInfo[]>(this);
}

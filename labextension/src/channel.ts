/**
 * The page's end of the comms to one notebook's kernel, one per direction.
 *
 * `commands` carries what the page tells the kernel; the kernel never sends on
 * it, so ipykernel 7 keeps handling it on the comm's subshell, even while a cell
 * computes. `feed` carries the kernel's list of sessions (see channel.py).
 *
 * Opened lazily, the first time a session output renders, or when the kernel
 * calls (a comm to `CALL_TARGET`: it holds something no output shows, such as
 * what capture owns): a kernel that never imported `jupyter_sessions` has no such
 * comm targets and is left alone. A kernel
 * restart or change drops the comms (and the sessions listed); the next render
 * opens new ones. Messages are fire-and-forget and idempotent kernel-side.
 *
 * A page that goes (reload, tab closed, navigation) closes its comms
 * (`onPageGone`): nothing else would tell the kernel, which would otherwise keep
 * feeding every departed page's comm. A page restored from the back/forward
 * cache opens them again. That last word can be lost (a busy machine may not
 * flush the websocket of a page unloading), so each hello also names the page
 * this tab showed before (`replaces`, from `sessionStorage`), and the kernel
 * closes what that page left open. A duplicated tab copies `sessionStorage`: the
 * original, still live, hears its comms closed as "replaced" and opens new ones.
 *
 * A page that dies without a word (a crashed browser, a lost network) is noticed by
 * its silence: while connected, the page says `alive` as often as the kernel asks
 * on its feed (`heartbeat`), and the kernel lets go of a page silent for three
 * times that long. A page that was only slow hears its comms closed as "silent"
 * and connects again. No timer runs while the page is not connected.
 */
import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { JSONObject, UUID } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { releaseHandlersOnDispose } from './commRelease';
import { sendOnMainShell } from './mainShell';
import { onPageGone } from './pageGone';
import { settings } from './settings';
import {
  CALL_TARGET,
  COMM_TARGET,
  FEED_TARGET,
  IChannelMessage,
  ISessionInfo,
  isHeartbeat,
  isSessionsMessage,
  refused
} from './messages';

/** This page load, and the one this tab showed before it (see the header). */
const PAGE_KEY = 'jupyter-sessions:page';
const PAGE_ID = UUID.uuid4();
const PREVIOUS_PAGE = swapPageId();

function swapPageId(): string {
  try {
    const previous = window.sessionStorage.getItem(PAGE_KEY) ?? '';
    window.sessionStorage.setItem(PAGE_KEY, PAGE_ID);
    return previous;
  } catch {
    return ''; // no storage (a sandboxed frame): the page's own close is the only word
  }
}

export class SessionChannel implements IDisposable {
  constructor(private readonly context: ISessionContext) {
    context.kernelChanged.connect(this.onKernelChanged, this);
    context.kernelChanged.connect(this.answerCalls, this);
    this.answerCalls(context, { oldValue: null, newValue: context.session?.kernel ?? null });
    context.statusChanged.connect(this.onStatus, this);
    settings.changed.connect(() => this.send(this.hello()), this);
    this.stopWatchingPage = onPageGone(() => this.close());
    window.addEventListener('pageshow', this.onPageShow);
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
    if (this._commands || this._disposed) {
      return;
    }
    const kernel = this.context.session?.kernel;
    if (!kernel) {
      // An output rendered before the page reached its kernel (a reloaded page
      // renders the saved outputs at once): connect as soon as it does.
      this._pending = true;
      return;
    }
    this._pending = false;
    this._wanted = true;
    this._kernel = kernel;
    this._commands = this.open(kernel, COMM_TARGET, this.hello() as unknown as JSONObject);
    this._feed = this.open(kernel, FEED_TARGET, { page: PAGE_ID });
    this._feed.onMsg = msg => this.onFeed(msg);
  }

  /** Who this page is, where, and its time-to-live setting (said again on a change). */
  hello(): IChannelMessage {
    return {
      type: 'hello',
      origin: window.location.origin,
      base_url: this.context.session?.serverSettings.baseUrl ?? '/',
      page: PAGE_ID,
      replaces: PREVIOUS_PAGE,
      time_to_live_minutes: settings.current.timeToLiveMinutes
    };
  }

  /**
   * Tell the kernel something, if it ever showed us a session.
   *
   * `onMainShell` for a last word before the comms close (see `sendOnMainShell`).
   */
  send(message: IChannelMessage, onMainShell = false): void {
    const comm = this._commands;
    const kernel = this._kernel;
    if (!comm || comm.isDisposed || !kernel) {
      return;
    }
    const data = message as unknown as JSONObject;
    try {
      if (onMainShell) {
        sendOnMainShell(kernel, 'comm_msg', comm.commId, data);
      } else {
        comm.send(data);
      }
    } catch (reason) {
      console.warn('[jupyter-sessions] could not tell the kernel', message, reason);
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.context.session?.kernel?.removeCommTarget(CALL_TARGET, this.onCall);
    this.stopWatchingPage();
    window.removeEventListener('pageshow', this.onPageShow);
    this.close();
    Signal.clearData(this);
  }

  /** Close both comms, telling the kernel (it forgets this page's feed). */
  private close(): void {
    const kernel = this._kernel;
    for (const comm of [this._commands, this._feed]) {
      if (comm && !comm.isDisposed && kernel && !kernel.isDisposed) {
        try {
          sendOnMainShell(kernel, 'comm_close', comm.commId, {});
          comm.dispose();
        } catch (reason) {
          console.warn('[jupyter-sessions] could not close comm', reason);
        }
      }
    }
    this.forget();
  }

  /** This page's comms are gone (closed by either end, or with the kernel). */
  private forget(): void {
    this._commands = this._feed = this._kernel = null;
    window.clearInterval(this._heartbeat);
    this._heartbeat = undefined;
  }

  private readonly stopWatchingPage: () => void;

  // An arrow function: `removeEventListener` needs the very same function.
  private readonly onPageShow = (event: PageTransitionEvent): void => {
    if (event.persisted && this._wanted) {
      this.connect();
    }
  };

  private open(kernel: Kernel.IKernelConnection, target: string, data: JSONObject): Kernel.IComm {
    const comm = kernel.createComm(target);
    releaseHandlersOnDispose(comm);
    comm.onClose = msg => {
      if (this._commands !== comm && this._feed !== comm) {
        return;
      }
      this.forget();
      // A tab duplicated from this one took this page's place, or the kernel took our
      // silence for death (a slow machine): still here, say so.
      const reason = (msg.content.data as { reason?: unknown })?.reason;
      if (reason === 'replaced' || reason === 'silent') {
        this.connect();
      }
    };
    comm.open(data).done.catch(reason => {
      console.warn('[jupyter-sessions] could not open comm', target, reason);
    });
    return comm;
  }

  /** Answer the calls of the notebook's kernel, whichever it is now. */
  private answerCalls(
    _: unknown,
    change: { oldValue: Kernel.IKernelConnection | null; newValue: Kernel.IKernelConnection | null }
  ): void {
    change.oldValue?.removeCommTarget(CALL_TARGET, this.onCall);
    change.newValue?.registerCommTarget(CALL_TARGET, this.onCall);
  }

  // An arrow function: `removeCommTarget` needs the very same function.
  private readonly onCall = (comm: Kernel.IComm): void => {
    comm.dispose();
    this.connect();
  };

  private onFeed(msg: KernelMessage.ICommMsgMsg): void {
    const data = msg.content.data;
    if (isHeartbeat(data)) {
      window.clearInterval(this._heartbeat);
      this._heartbeat = window.setInterval(() => this.send({ type: 'alive' }), data.seconds * 1000);
      return;
    }
    if (!isSessionsMessage(data)) {
      refused('list of sessions', data);
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

  private onKernelChanged(): void {
    const pending = this._pending;
    this.drop();
    if (pending) {
      this.connect();
    }
  }

  /** The kernel went (restart, change): its comm and sessions went with it. */
  private drop(): void {
    // Until a session output renders for the new kernel.
    this._wanted = this._pending = false;
    this.forget();
    this._sessions = [];
    this._sessionsChanged.emit(this._sessions);
  }

  /** The kernel the comms are open to. */
  private _kernel: Kernel.IKernelConnection | null = null;
  private _commands: Kernel.IComm | null = null;
  private _feed: Kernel.IComm | null = null;
  private _disposed = false;
  /** Says `alive` to the kernel while connected (see the header). */
  private _heartbeat: number | undefined = undefined;
  /** A session output rendered since the kernel (re)started: the page wants comms. */
  private _wanted = false;
  /** A session output rendered while the page had no kernel yet. */
  private _pending = false;
  private _sessions: readonly ISessionInfo[] = [];
  private _sessionsChanged = new Signal<this, readonly ISessionInfo[]>(this);
}
